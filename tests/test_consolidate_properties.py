"""Invariants of consolidation, checked on generated agents (hypothesis) and on the seeds."""

from __future__ import annotations

import itertools
from typing import Any

from conftest import SEEDS, report_units
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentmerge import cluster, consolidate
from agentmerge.cluster import carries
from agentmerge.consolidate import MergedItem, MergedSection, matching_evidence
from agentmerge.diff import diff_agents
from agentmerge.model import Agent
from agentmerge.parse import parse_text, read_agent
from agentmerge.render import consolidation_to_dict
from agentmerge.scorer import default_model, near_verbatim
from agentmerge.text import negated, normalize
from agentmerge.writer import render_consolidation

VERBS = ["Implement", "Write", "Review", "Document", "Validate", "Never skip", "Always run", "Avoid", "Monitor"]
OBJECTS = [
    "unit tests for services",
    "database migrations",
    "input validation on endpoints",
    "rate limiting on public APIs",
    "structured logging",
    "connection pooling",
    "API documentation",
    "caching for hot queries",
    "secrets in environment variables",
    "dependency injection for testability",
]
TITLES = ["Responsibilities", "Core Responsibilities", "Workflow", "Principles", "Definition of Done", "Pitfalls"]
MODELS = ["inherit", "sonnet", "opus"]
TOOLS = ["Read", "Write", "Bash", "Grep"]

sentence = st.builds(
    lambda v, o, tail: f"{v} {o}{tail}",
    st.sampled_from(VERBS),
    st.sampled_from(OBJECTS),
    st.sampled_from(["", ".", " where needed", " for every change"]),
)


@st.composite
def agent_text(draw: st.DrawFn) -> str:
    """A small agent file: frontmatter, an intro, a few sections of bullets, numbered or task
    items, some under a subtitle (a bold label opening the section) or followed by a paragraph."""
    lines = ["---", "name: worker", f"model: {draw(st.sampled_from(MODELS))}"]
    tools = draw(st.lists(st.sampled_from(TOOLS), unique=True, max_size=3))
    if tools:
        lines.append(f"tools: {', '.join(tools)}")
    lines += ["---", "", draw(sentence), ""]
    titles = draw(st.lists(st.sampled_from(TITLES), unique=True, min_size=1, max_size=4))
    for title in titles:
        lines += [f"## {title}", ""]
        if draw(st.integers(0, 3)) == 0:
            # A subtitle; one of its own, as a title repeated in one file is a template filled twice.
            lines += [f"**{title} in practice:**", ""]
        marker = draw(st.sampled_from(["-", "1.", "- [ ]"]))
        for text in draw(st.lists(sentence, min_size=1, max_size=5)):
            lines.append(f"{marker} {text}")
            if draw(st.integers(0, 5)) == 0:
                lines.append(f"  - {draw(sentence)}")
        if draw(st.integers(0, 4)) == 0:
            # An item with no text of its own: it opens with a numbered step, a quote or code.
            opener = draw(st.sampled_from(["3. {}", "> {}", "```\n  {}\n  ```"]))
            lines.append("- " + opener.format(draw(sentence)))
        if draw(st.integers(0, 4)) == 0:
            lines += ["", f"**In short:**\n{draw(sentence)}"]
        lines.append("")
    return "\n".join(lines)


agents_strategy = st.lists(agent_text(), min_size=1, max_size=4)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build(texts: list[str]) -> list[Agent]:
    return [parse_text(text, f"in{n}.md") for n, text in enumerate(texts)]


def walk_items(section: MergedSection) -> list[MergedItem]:
    out: list[MergedItem] = []
    stack = list(section.items)
    while stack:
        item = stack.pop()
        out.append(item)
        stack.extend(item.children)
    for sub in section.sections:
        out.extend(walk_items(sub))
    return out


@SETTINGS
@given(agents_strategy)
def test_every_input_item_and_heading_is_in_exactly_one_sources_list(texts: list[str]) -> None:
    agents = build(texts)
    items, headings = report_units(consolidation_to_dict(consolidate(agents)))
    want_items = [(a.path, i.line) for a in agents for _, i in a.items()]
    want_items += [(a.path, f.line) for a in agents for f in a.fields]
    want_headings = [(a.path, s.line) for a in agents for s in a.body.walk() if s.kind != "root"]
    assert sorted(items) == sorted(want_items)
    assert sorted(headings) == sorted(want_headings)


@SETTINGS
@given(agents_strategy, st.randoms(use_true_random=False))
def test_argument_order_never_changes_the_output(texts: list[str], rng: Any) -> None:
    agents = build(texts)
    shuffled = list(agents)
    rng.shuffle(shuffled)
    assert render_consolidation(consolidate(shuffled)) == render_consolidation(consolidate(agents))


@SETTINGS
@given(agents_strategy)
def test_consolidating_the_output_again_gives_the_same_bytes(texts: list[str]) -> None:
    first = render_consolidation(consolidate(build(texts)))
    assert render_consolidation(consolidate([parse_text(first, "merged.md")])) == first


@SETTINGS
@given(agent_text())
def test_one_input_is_its_own_consolidation(text: str) -> None:
    agent = parse_text(text, "one.md")
    merged = consolidate([agent]).agent
    assert diff_agents(agent, merged).identical
    assert render_consolidation(consolidate([parse_text(render_consolidation(consolidate([agent])), "x.md")])) == (
        render_consolidation(consolidate([agent]))
    )


@SETTINGS
@given(st.lists(agent_text(), min_size=2, max_size=4))
def test_no_two_output_items_of_one_section_are_near_verbatim(texts: list[str]) -> None:
    """With two inputs or more, repeats are folded; one input alone is only normalised."""
    result = consolidate(build(texts))
    stack = [result.body]
    while stack:
        section = stack.pop()
        stack.extend(section.sections)
        for a, b in itertools.combinations(section.items, 2):
            if a.item.kind == b.item.kind and negated(a.item.text) == negated(b.item.text):
                assert not near_verbatim(a.item.text, b.item.text), (a.item.text, b.item.text)


@SETTINGS
@given(agents_strategy)
def test_every_folded_wording_scores_the_floor_against_the_kept_one(texts: list[str]) -> None:
    """Nothing is folded on a doubt: each source of a merged item that is not its kept wording
    scores at least the model's floor against it (exact copies score 1), and one input's two
    wordings share an item only as a restatement the score is sure of."""
    model = default_model()
    result = consolidate(build(texts))
    for merged in walk_items(result.body):
        kept = merged.sources[0]
        assert kept.similarity == 1.0
        for source in merged.sources[1:]:
            assert source.similarity >= model.floor or normalize(source.text) == normalize(kept.text), source
            if source.path == kept.path and normalize(source.text) != normalize(kept.text):
                assert source.similarity >= model.same_input_threshold, source


def test_diff_of_each_seed_against_its_own_consolidation_is_empty() -> None:
    for path in SEEDS:
        agent = read_agent(path)
        assert diff_agents(agent, consolidate([agent]).agent).identical, path.name


detailed = st.builds(
    lambda first, second, when: f"{first}. {second}{when}." if second else f"{first}{when}.",
    sentence,
    st.one_of(st.just(""), sentence),
    st.sampled_from(
        [
            "",
            " every 30 minutes",
            " every hour",
            " weekly",
            " within 5 days",
            " with Pyroscope",
            " with Parca",
            " before each release",
        ]
    ),
)


@st.composite
def detailed_agent(draw: st.DrawFn) -> str:
    """An agent whose bullets may hold two sentences and a period, a number, a tool's name or a condition."""
    lines = ["---", "name: worker", "---", "", "## Responsibilities", ""]
    lines += [f"- {text}" for text in draw(st.lists(detailed, min_size=1, max_size=6))]
    return "\n".join(lines) + "\n"


@SETTINGS
@given(st.lists(detailed_agent(), min_size=2, max_size=3))
def test_every_folded_wording_is_carried_by_the_kept_one(texts: list[str]) -> None:
    """Nothing is lost in a fold: the kept wording carries each folded one's numbers, periods,
    names and something of each of its sentences (``cluster.carries``), but the names most inputs
    mention (``cluster.Subject``)."""
    agents = build(texts)
    subject = cluster.Subject(cluster.texts_by_input(matching_evidence(agents).candidates))
    result = consolidate(agents)
    for merged in walk_items(result.body):
        kept = merged.sources[0]
        for source in merged.sources[1:]:
            assert carries(kept.text, source.text, subject=subject), (kept.text, source.text)


NAMED = [
    "component styles with Tailwind utility classes",
    "component styles with CSS modules",
    "the current Django project structure",
    "the current FastAPI project structure",
    "the current project structure",
    "a failing test",
    "logs from the failing service",
    "components with Testing Library queries",
    "component tests next to the component",
]
named_sentence = st.builds(lambda v, o: f"{v} {o}", st.sampled_from(VERBS), st.sampled_from(NAMED + OBJECTS[:3]))


@st.composite
def named_agent(draw: st.DrawFn) -> str:
    """An agent whose bullets name tools and frameworks, or share one word with each other."""
    lines = ["---", "name: worker", "---", "", "## Practices", ""]
    lines += [f"- {text}" for text in draw(st.lists(named_sentence, min_size=1, max_size=6, unique=True))]
    return "\n".join(lines) + "\n"


@SETTINGS
@given(st.lists(named_agent(), min_size=2, max_size=4))
def test_no_merged_item_holds_two_wordings_a_rule_keeps_apart(texts: list[str]) -> None:
    """A pair a rule refuses (opposite polarity, one shared word, two tools, another name put in)
    at a score that clears the threshold never shares a merged item, directly or through a third
    wording both resemble. (Under the threshold a pair is not evidence either way: refusing such
    pairs too cost the held-out mean 0.006, python 0.024.)"""
    agents = build(texts)
    result = consolidate(agents)
    evidence = matching_evidence(agents)
    bag_of = {candidate.text: n for n, candidate in enumerate(evidence.candidates)}
    scores = evidence.scorer.scores(evidence.pairs)
    threshold = default_model().threshold
    for merged in walk_items(result.body):
        for a, b in itertools.combinations([s.text for s in merged.sources], 2):
            if normalize(a) == normalize(b):
                continue
            refused = (
                negated(a) != negated(b)
                or cluster.one_word(a, b)
                or cluster.different_tools(a, b)
                or cluster.another_name(a, b)
            )
            if refused:
                i, j = sorted((bag_of[a], bag_of[b]))
                # A pair the candidates left out is scored as the clustering scores it.
                score = scores.get((i, j))
                if score is None:
                    score = evidence.scorer.score(i, j)
                assert score < threshold, (a, b)
