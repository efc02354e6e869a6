"""Merge promises checked over generated edits (hypothesis) and on hand-made files.

A base agent is generated as sections of bullets; each side rewords, removes and adds bullets,
changes ``tools`` and ``model``, and writes the file in its own style (``-`` or ``*`` bullets,
LF or CRLF, wrapped or not). What the merge must do follows from the edits alone: a bullet both
sides changed differently, or that one side reworded and the other removed, is a conflict; any
other combination merges cleanly to the bullets of both edits applied, and never drops either
side's change.
"""

from __future__ import annotations

import graphlib
import random
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from conftest import run_cli
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_parse_properties import document

from agentmerge.fields import names
from agentmerge.merge import merge_texts
from agentmerge.pairing import item_key
from agentmerge.parse import parse_text

_WORDS = (
    "validate inputs schemas handlers routes caching queues retries tracing metrics logging alerts "
    "migrations indexes queries transactions locking sessions tokens secrets config deploys rollbacks "
    "reviews commits branches releases docs examples fixtures mocks stubs coverage benchmarks profiles"
)
BASE_WORDS = tuple(_WORDS.split())
OURS_WORDS = ["amber", "birch", "cedar", "delta", "ember", "fjord", "garnet", "harbor"]
THEIRS_WORDS = ["island", "juniper", "kestrel", "lagoon", "meadow", "nectar", "orchid", "prairie"]
TOOLS = ("Read", "Write", "Edit", "Bash", "Grep", "Glob", "WebFetch")


@dataclass
class Doc:
    """An agent as the generator writes it: frontmatter values and sections of bullets."""

    tools: list[str]
    model: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)

    def text(self, marker: str = "-", newline: str = "\n", wrap: bool = False) -> str:
        lines = ["---", "name: generated-agent", f"tools: {', '.join(self.tools)}", f"model: {self.model}", "---", ""]
        for title, bullets in self.sections:
            lines += [f"## {title}", ""]
            for bullet in bullets:
                words = bullet.split()
                if wrap and len(words) > 3:
                    lines.append(f"{marker} {' '.join(words[:3])}")
                    lines.append(f"  {' '.join(words[3:])}")
                else:
                    lines.append(f"{marker} {bullet}")
            lines.append("")
        return newline.join(lines)


Scenario = tuple[Doc, dict[str, object], dict[str, object]]
"""A base agent and the edits of each side."""

ops = st.sampled_from(["keep", "keep", "keep", "reword", "remove", "add"])


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Doc, dict[str, object], dict[str, object]]:
    seed = draw(st.integers(0, 10_000))
    rng = random.Random(seed)
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    words = list(BASE_WORDS)
    rng.shuffle(words)
    base = Doc(tools=["Read", "Grep"], model="sonnet")
    used = 0
    for n, count in enumerate(shape):
        bullets = []
        for _ in range(count):
            bullets.append(" ".join(words[(used + k) % len(words)] for k in range(5)) + f" rule{used}")
            used += 5
        base.sections.append((f"Section {n + 1}", bullets))
    size = sum(shape)
    sides = {}
    for side in ("ours", "theirs"):
        sides[side] = {
            "ops": draw(st.lists(ops, min_size=size, max_size=size)),
            "tools_add": draw(st.sets(st.sampled_from(TOOLS))),
            "tools_remove": draw(st.sets(st.sampled_from(("Read", "Grep")))),
            "model": draw(st.sampled_from(["sonnet", "sonnet", "opus", "haiku"])),
            "marker": draw(st.sampled_from(["-", "*"])),
            "newline": draw(st.sampled_from(["\n", "\r\n"])),
            "wrap": draw(st.booleans()),
        }
    return base, sides["ours"], sides["theirs"]


def edited(base: Doc, side: dict[str, object], name: str) -> Doc:
    """The base with one side's edits applied."""
    vocabulary = OURS_WORDS if name == "ours" else THEIRS_WORDS
    ops_of = iter(side["ops"])  # type: ignore[call-overload]
    doc = Doc(
        tools=[t for t in base.tools if t not in side["tools_remove"]]  # type: ignore[operator]
        + sorted(t for t in side["tools_add"] if t not in base.tools),  # type: ignore[attr-defined]
        model=str(side["model"]),
    )
    added = 0
    for title, bullets in base.sections:
        out = []
        for bullet in bullets:
            op = next(ops_of)
            if op == "keep":
                out.append(bullet)
            elif op == "reword":
                out.append(f"{bullet} {vocabulary[0]}")
            elif op == "add":
                out.append(bullet)
                out.append(" ".join(vocabulary[(added + k) % len(vocabulary)] for k in range(1, 6)) + f" {name}{added}")
                added += 1
        doc.sections.append((title, out))
    return doc


def expected_items(base: Doc, ours: dict[str, object], theirs: dict[str, object]) -> tuple[Counter[str], int]:
    """The bullets a clean merge must hold, and how many bullets must conflict."""
    o_doc, t_doc = edited(base, ours, "ours"), edited(base, theirs, "theirs")
    want: Counter[str] = Counter()
    conflicts = 0
    flat_base = [b for _, bullets in base.sections for b in bullets]
    o_ops, t_ops = list(ours["ops"]), list(theirs["ops"])  # type: ignore[call-overload]
    for bullet, o_op, t_op in zip(flat_base, o_ops, t_ops, strict=True):
        o_text = f"{bullet} {OURS_WORDS[0]}" if o_op == "reword" else bullet
        t_text = f"{bullet} {THEIRS_WORDS[0]}" if t_op == "reword" else bullet
        if "remove" in (o_op, t_op):
            if "reword" in (o_op, t_op):
                conflicts += 1
            continue
        if o_op == t_op == "reword":
            conflicts += 1
            continue
        want[t_text if o_op != "reword" else o_text] += 1
    for doc, name in ((o_doc, "ours"), (t_doc, "theirs")):
        for _, bullets in doc.sections:
            want.update(b for b in bullets if re.fullmatch(rf"{name}\d+", b.split()[-1]))
    return Counter({item_key_of(k): v for k, v in want.items()}), conflicts


def item_key_of(text: str) -> str:
    return item_key(parse_text(f"- {text}\n").body.items[0])


UNCHANGED: dict[str, object] = {
    "tools_add": set(),
    "tools_remove": set(),
    "model": "sonnet",
    "marker": "-",
    "newline": "\n",
    "wrap": False,
}


@settings(max_examples=150, deadline=None)
@given(scenarios())
# One side removed a bullet and added an unrelated one in its place, the other removed it: no word
# in common, half the letters; once paired as a rewording, which made a false conflict.
@example(
    (
        Doc(
            tools=["Read", "Grep"],
            model="sonnet",
            sections=[
                (
                    "Section 1",
                    ["releases retries schemas reviews caching rule0", "handlers config branches metrics tokens rule5"],
                )
            ],
        ),
        {"ops": ["add", "remove"], **UNCHANGED},
        {"ops": ["keep", "remove"], **UNCHANGED},
    )
)
def test_a_clean_merge_never_drops_either_sides_change(
    scenario: tuple[Doc, dict[str, object], dict[str, object]],
) -> None:
    """Non-overlapping edits merge cleanly to the bullets of both edits; a bullet reworded on both
    sides, or reworded on one and removed on the other, is always a conflict, never a pick."""
    base, ours, theirs = scenario
    o_doc, t_doc = edited(base, ours, "ours"), edited(base, theirs, "theirs")
    result = merge_texts(
        base.text(),
        o_doc.text(str(ours["marker"]), str(ours["newline"]), bool(ours["wrap"])),
        t_doc.text(str(theirs["marker"]), str(theirs["newline"]), bool(theirs["wrap"])),
    )
    want, conflicts = expected_items(base, ours, theirs)
    model_conflict = ours["model"] != "sonnet" and theirs["model"] != "sonnet" and ours["model"] != theirs["model"]
    # Two removals that leave no tool at all: neither side asked for none (none grants every tool).
    o_tools, t_tools = set(o_doc.tools), set(t_doc.tools)
    kept = (o_tools & t_tools) | (o_tools - set(base.tools)) | (t_tools - set(base.tools))
    tools_conflict = (
        o_tools != t_tools and o_tools != set(base.tools) != t_tools and not kept and bool(o_tools and t_tools)
    )
    item_conflicts = [c for c in result.conflicts if c.kind == "item"]
    assert len(item_conflicts) == conflicts
    fields = {c.label for c in result.conflicts if c.kind == "field"}
    assert fields == {key for key, found in (("model", model_conflict), ("tools", tools_conflict)) if found}
    assert result.method == "model"
    if result.clean:
        merged = parse_text(result.text.replace("\r\n", "\n"))
        got = Counter(item_key(item) for _, item in merged.items())
        assert got == want
        tools = merged.field("tools")
        assert tools is not None

        def tool_set(doc: Doc) -> set[str]:
            return set(names(", ".join(doc.tools)))

        both = tool_set(o_doc) & tool_set(t_doc)
        assert set(names(tools.value)) == both | (tool_set(o_doc) - tool_set(base)) | (tool_set(t_doc) - tool_set(base))


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_units_theirs_did_not_touch_keep_ours_bytes(scenario: Scenario) -> None:
    """With THEIRS equal to BASE the merge is OURS byte for byte, whatever OURS' style."""
    base, ours, _ = scenario
    o_text = edited(base, ours, "ours").text(str(ours["marker"]), str(ours["newline"]), bool(ours["wrap"]))
    result = merge_texts(base.text(), o_text, base.text())
    assert result.clean
    assert result.text == o_text


@settings(max_examples=100, deadline=None)
@given(document(), document())
@example("## X\n\n- j\n\n---\n\n- k\n", "A new file.\n")
def test_a_side_left_as_the_base_takes_the_other_sides_file(base: str, other: str) -> None:
    """Whatever the files hold (rules, HTML, tables, code), an untouched side yields to the other.

    The example: the rule between two bullets is no unit; it was left behind under a heading
    THEIRS removed, as if OURS had kept content there, and the merge conflicted.
    """
    assert merge_texts(base, base, other).text == other
    assert merge_texts(base, other, base).text == other


@settings(max_examples=40, deadline=None)
@given(document(), document(), st.sampled_from(["utf-16-le", "utf-16-be"]))
def test_a_utf16_side_merges_as_its_text_and_ours_keeps_its_encoding(base: str, other: str, codec: str) -> None:
    """Through the command line, a side in UTF-16 (with its byte order mark) merges as its text
    does, and the result is written in OURS' encoding: a UTF-16 OURS against THEIRS left as BASE
    comes back byte for byte, and a UTF-16 THEIRS against a UTF-8 OURS left as BASE gives
    THEIRS' text in UTF-8."""
    wide = "\ufeff".encode(codec) + other.encode(codec)
    with tempfile.TemporaryDirectory() as folder:
        paths = {name: str(Path(folder) / f"{name}.md") for name in ("base", "wide")}
        Path(paths["base"]).write_bytes(base.encode("utf-8"))
        Path(paths["wide"]).write_bytes(wide)
        done = run_cli("merge", paths["base"], paths["wide"], paths["base"])
        assert (done.exit_code, done.stdout_bytes) == (0, wide), done.stderr
        done = run_cli("merge", paths["base"], paths["base"], paths["wide"])
        assert done.exit_code == 0, done.stderr
        assert done.stdout_bytes == merge_texts(base, base, other).text.encode("utf-8", "surrogateescape")


_STEP_WORDS = ("Read", "Reproduce", "Write", "Fix", "Run", "Update", "Open")


def _numbered(order: list[int]) -> str:
    steps = "".join(f"{n}. {_STEP_WORDS[i]} the {BASE_WORDS[i]} step\n" for n, i in enumerate(order, 1))
    return f"---\nname: steps\n---\n\n## Steps\n\n{steps}"


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=2, max_value=len(_STEP_WORDS)).flatmap(
        lambda n: st.tuples(st.permutations(range(n)), st.permutations(range(n)))
    )
)
def test_reordered_steps_keep_every_order_one_side_changed(orders: tuple[list[int], list[int]]) -> None:
    """Both sides reorder one numbered list. A clean merge puts each pair of steps as the side
    that changed its order put it (as BASE had it when neither did), and the result is the same
    whichever side is OURS; when no one order keeps every such pair, both ways round conflict."""
    ours, theirs = orders
    base = list(range(len(ours)))
    after: dict[int, set[int]] = {x: set() for x in base}  # x -> the steps that must come before it
    for x in base:
        for y in base[x + 1 :]:
            both_keep = ours.index(x) < ours.index(y) and theirs.index(x) < theirs.index(y)
            after[y if both_keep else x].add(x if both_keep else y)
    try:
        tuple(graphlib.TopologicalSorter(after).static_order())
        followable = True
    except graphlib.CycleError:
        followable = False
    forward = merge_texts(_numbered(base), _numbered(ours), _numbered(theirs))
    backward = merge_texts(_numbered(base), _numbered(theirs), _numbered(ours))
    assert forward.clean == backward.clean == followable
    if not followable:
        return
    assert forward.text == backward.text
    merged = [_STEP_WORDS.index(line.split()[1]) for line in forward.text.splitlines() if line[:1].isdigit()]
    assert sorted(merged) == base
    assert all(merged.index(x) < merged.index(y) for y in base for x in after[y]), (ours, theirs, merged)
