"""Property-based invariants of the semantic diff on generated agents."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from agentmerge.diff import diff_agents
from agentmerge.parse import parse_text

WORDS = ["run", "tests", "never", "always", "review", "the", "code", "write", "docs", "check", "api", "logs"]
TITLES = ["Rules", "Steps", "Output", "Your Core Rules", "Notes"]

bullet = st.lists(st.sampled_from(WORDS), min_size=2, max_size=7).map(" ".join)
section = st.tuples(st.sampled_from(TITLES), st.booleans(), st.lists(bullet, min_size=0, max_size=5))
document = st.tuples(
    st.sampled_from(["inherit", "opus", None]),
    st.lists(st.sampled_from(["Read", "Grep", "Bash"]), unique=True, max_size=3),
    st.lists(section, max_size=4),
)


def render(doc: tuple[str | None, list[str], list[tuple[str, bool, list[str]]]]) -> str:
    model, tools, sections = doc
    lines = ["---", "name: generated", "description: A generated agent."]
    if model is not None:
        lines.append(f"model: {model}")
    if tools:
        lines.append(f"tools: {', '.join(tools)}")
    lines += ["---", ""]
    for title, numbered, bullets in sections:
        lines += [f"## {title}", ""]
        lines += [f"{n}. {b}" if numbered else f"- {b}" for n, b in enumerate(bullets, start=1)]
        lines.append("")
    return "\n".join(lines)


@settings(max_examples=150, deadline=None)
@given(document)
def test_a_generated_agent_diffed_with_itself_is_identical(doc: tuple) -> None:  # type: ignore[type-arg]
    agent = parse_text(render(doc), "a.md")
    assert diff_agents(agent, agent).identical


@settings(max_examples=150, deadline=None)
@given(document, document)
# Two orders of equal weight that mirror each other: the direction used to decide which one stayed.
@example(
    (
        "inherit",
        [],
        [
            ("Rules", False, []),
            ("Rules", False, ["run run", "run run run"]),
            ("Rules", False, []),
            ("Rules", False, ["run run", "run run run run run run run"]),
        ],
    ),
    (
        "inherit",
        [],
        [
            ("Rules", False, []),
            ("Rules", False, ["run run", "run run run"]),
            ("Rules", False, ["run run run run run run run"]),
            ("Rules", False, ["run run", "run run"]),
        ],
    ),
)
# A renamed section and an unchanged one trading places: the move goes on the renamed one both ways.
@example(
    ("inherit", [], [("Rules", False, ["run run"] * 3), ("Steps", False, ["run run"]), ("Steps", False, ["run run"])]),
    (
        "inherit",
        [],
        [("Rules", False, ["run run"] * 3), ("Steps", False, ["run run run"]), ("Rules", False, ["run run"])],
    ),
)
def test_swapping_sides_swaps_added_and_removed(one: tuple, two: tuple) -> None:  # type: ignore[type-arg]
    """What one direction adds the other removes; rewordings and moves count the same both ways."""
    a, b = parse_text(render(one), "a.md"), parse_text(render(two), "b.md")
    forward, backward = diff_agents(a, b).summary, diff_agents(b, a).summary
    assert forward.added == backward.removed and forward.removed == backward.added
    assert forward.reworded + forward.moved == backward.reworded + backward.moved
    assert forward.frontmatter == backward.frontmatter


@settings(max_examples=100, deadline=None)
@given(document)
def test_star_bullets_and_crlf_are_not_a_change(doc: tuple) -> None:  # type: ignore[type-arg]
    text = render(doc)
    reformatted = text.replace("\n- ", "\n* ").replace("\n", "\r\n")
    a, b = parse_text(text, "a.md"), parse_text(reformatted.replace("\r\n", "\n"), "b.md")
    assert diff_agents(a, b).identical


@settings(max_examples=150, deadline=None)
@given(document, st.data())
# Two equal bullets in one section, the first edited: first-with-first pairing reported two moves.
@example(("inherit", [], [("Rules", False, ["run the tests", "check the logs", "run the tests"])]), None)
def test_one_edited_bullet_is_one_rewording_at_its_line(doc: tuple, data: st.DataObject | None) -> None:  # type: ignore[type-arg]
    """Whatever the document repeats, one bullet given one more word is reported as exactly that
    bullet reworded, at its own line on both sides."""
    text = render(doc)
    lines = text.split("\n")
    bullets = [n for n, line in enumerate(lines) if line.startswith(("- ", "1. ", "2. ", "3. ", "4. ", "5. "))]
    candidates = [n for n in bullets if len(lines[n].split()) >= 4]
    if not candidates:
        return
    at = candidates[0] if data is None else data.draw(st.sampled_from(candidates))
    edited = lines.copy()
    edited[at] += " carefully"
    result = diff_agents(parse_text(text, "a.md"), parse_text("\n".join(edited), "b.md"))
    assert not result.frontmatter
    (change,) = result.changes
    assert change.op == "reworded"
    assert change.old is not None and change.new is not None and change.old.line == change.new.line == at + 1
