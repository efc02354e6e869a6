"""N-way clustering rules that keep unrelated items apart on unseen files: short and bare-label
items, two subjects under one head noun, unaligned sections, diagrams and filled-in templates."""

from __future__ import annotations

from agentmerge import cluster, consolidate
from agentmerge.consolidate import Consolidation
from agentmerge.model import Agent
from agentmerge.parse import parse_text
from agentmerge.render import consolidation_to_dict


def agent(text: str, path: str) -> Agent:
    return parse_text(text, path)


def clusters(result: Consolidation) -> list[set[str]]:
    """The texts of the sources of each merged item, at every depth."""
    out: list[set[str]] = []
    stack = list(consolidation_to_dict(result)["sections"])
    while stack:
        section = stack.pop()
        items = list(section["items"])
        while items:
            item = items.pop()
            out.append({s["text"] for s in item["sources"]})
            items.extend(item.get("children") or [])
        stack.extend(section["sections"])
    return out


def merged_with(found: list[set[str]], text: str) -> set[str]:
    """The other texts in the cluster holding ``text``."""
    return next(c for c in found if text in c) - {text}


# --------------------------------------------------------------------------------------------
# Short items and bare labels


def test_bare_label_needs_the_same_terms() -> None:
    assert cluster.short_mismatch("**Suggested Fix**:", "**Suggest a fix** with a corrected code example")
    assert not cluster.short_mismatch("**Suggested Fix**:", "Suggested fix:")


def test_short_item_needs_all_its_terms_in_the_other() -> None:
    assert not cluster.short_mismatch("Use connection pooling", "Implement database connection pooling")
    assert cluster.short_mismatch("Connection limits", "Tune connection pooling for each database")
    # Three terms or more: the score decides.
    assert not cluster.short_mismatch("Cap open database connections", "Tune connection pooling for each database")


def test_bare_label_of_a_report_template_stays_apart_from_an_instruction() -> None:
    a = agent(
        "## Review Output\n\n- **Location**: file and line\n- **Suggested Fix**:\n\n"
        "```python\nvalue = parse(raw)\n```\n",
        "a.md",
    )
    b = agent("## Review Output\n\n- Suggest a fix with a corrected snippet\n- Cite file and line\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "**Suggested Fix**:") == set()


def test_short_bullet_still_merges_into_the_bullet_that_elaborates_it() -> None:
    a = agent("## Database\n\n- Use connection pooling\n- Index foreign keys\n", "a.md")
    b = agent("## Database\n\n- Implement database connection pooling\n- Add indexes on foreign keys\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Use connection pooling") == {"Implement database connection pooling"}


# --------------------------------------------------------------------------------------------
# Two subjects under one head noun


def test_labels_naming_two_subjects_of_one_aspect_differ() -> None:
    assert cluster.different_subjects(
        "**Code Quality**: readability, maintainability and complexity",
        "**Test Quality**: readability, maintainability and flakiness of tests",
    )
    # One extra word on each side of a shared two-word head: the same subject.
    assert not cluster.different_subjects(
        "**Explicit Error Handling:** fail fast with clear messages",
        "**Error Handling Framework:** fail fast and log the cause",
    )
    assert not cluster.different_subjects("No label here at all", "**Test Quality**: flakiness")


def test_code_quality_and_test_quality_do_not_merge() -> None:
    a = agent("## Capabilities\n\n- Code Quality: readability, maintainability, complexity review\n", "a.md")
    b = agent("## Capabilities\n\n- **Test Quality**: readability, maintainability, flakiness review\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Code Quality: readability, maintainability, complexity review") == set()


# --------------------------------------------------------------------------------------------
# Unaligned sections


def _units(role_a: str, role_b: str, group_a: int, group_b: int) -> list[cluster.Unit]:
    return [
        cluster.Unit(0, "Profile hot paths before tuning queries", role_a, group_a),
        cluster.Unit(1, "Profile slow queries before tuning them", role_b, group_b),
    ]


def test_unaligned_sections_of_two_roles_need_the_full_margin() -> None:
    score = cluster.CLUSTER_THRESHOLD + cluster.CROSS_SECTION_MARGIN / 2
    scores = {(0, 1): score}
    apart = cluster.cluster_units(_units("workflow", "general", 1, 2), scores, bonus=0.0)
    assert apart == [[0], [1]]
    aligned = cluster.cluster_units(_units("workflow", "general", 1, 1), scores, bonus=0.0)
    assert aligned == [[0, 1]]
    enough = {(0, 1): cluster.CLUSTER_THRESHOLD + cluster.CROSS_SECTION_MARGIN}
    assert cluster.cluster_units(_units("workflow", "general", 1, 2), enough, bonus=0.0) == [[0, 1]]


def test_unaligned_sections_of_one_role_need_only_a_share_of_the_margin() -> None:
    score = cluster.CLUSTER_THRESHOLD + cluster.CROSS_SECTION_MARGIN * cluster.SAME_ROLE_SHARE
    assert cluster.cluster_units(_units("responsibilities", "responsibilities", 1, 2), {(0, 1): score}) == [[0, 1]]
    below = {(0, 1): score - 0.01}
    assert cluster.cluster_units(_units("responsibilities", "responsibilities", 1, 2), below) == [[0], [1]]


def test_the_same_label_vouches_for_a_pair_across_sections() -> None:
    units = [
        cluster.Unit(0, "**Dependency Security**: pinned versions and audits", "workflow", 1),
        cluster.Unit(1, "**Dependency Security:** flag known vulnerable libraries", "general", 2),
    ]
    assert cluster.same_label(units[0].text, units[1].text)
    assert cluster.cluster_units(units, {(0, 1): cluster.CLUSTER_THRESHOLD}) == [[0, 1]]


def test_a_traits_line_and_a_line_of_another_section_stay_apart() -> None:
    a = agent(
        "## Behavioral Traits\n\n- Tracks new attack techniques and their mitigations\n- Explains findings plainly\n",
        "a.md",
    )
    b = agent(
        "## Threat Research Notes\n\n- Attack techniques seen this quarter and mitigations tried by teams\n"
        "- Vendor advisories to read\n",
        "b.md",
    )
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Tracks new attack techniques and their mitigations") == set()


# --------------------------------------------------------------------------------------------
# Diagrams and filled-in templates


def test_box_diagram_merges_only_as_a_copy() -> None:
    box = "┌──────────────┐\n│ Input Checks │\n├──────────────┤\n│ • validate all input │\n└──────────────┘"
    assert cluster.is_diagram(box)
    assert not cluster.is_diagram("Validate all input - at the boundary")
    a = agent(f"## Input Validation\n\n{box}\n", "a.md")
    b = agent("## Input Validation\n\n- Validate all input at the boundary\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Validate all input at the boundary") == set()


def test_items_of_a_template_filled_twice_do_not_join_guidance() -> None:
    a = agent(
        "## Findings\n\n### Finding\n\n- **Severity**: high for injection in request handlers\n\n"
        "### Finding\n\n- **Severity**: low for verbose error pages\n",
        "a.md",
    )
    b = agent("## Findings\n\n- Rate severity high for injection in request handlers\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert merged_with(found, "Rate severity high for injection in request handlers") == set()


# --------------------------------------------------------------------------------------------
# Section titles


def test_titles_naming_two_subjects_do_not_align_by_title() -> None:
    assert cluster.title_overlap("Code Standards", "Quality Standards") == 0.0
    assert cluster.title_overlap("Security Testing", "Performance Testing") == 0.0
    assert cluster.title_overlap("Responsibilities", "Your Core Responsibilities:") == 1.0
    assert cluster.title_overlap("Expected Outputs", "Outputs") == 1.0
    assert cluster.title_overlap("Guidelines", "Performance Guidelines") > cluster.SECTION_ALIGN_THRESHOLD


def test_a_merged_section_takes_the_title_that_covers_every_input() -> None:
    a = agent("## Follow these additional guidelines\n\n- Keep handlers small\n- Apply least privilege\n", "a.md")
    b = agent("## Performance Guidelines\n\n- Cache hot reads\n- Batch small writes\n", "b.md")
    result = consolidation_to_dict(consolidate([a, b]))
    titles = [s["title"] for s in result["sections"] if s["title"]]
    assert titles == ["Follow these additional guidelines"]


# --------------------------------------------------------------------------------------------
# Order


def test_consensus_order_keeps_every_input_order_when_the_inputs_do_not_conflict() -> None:
    """Inputs that each list some of one common order: the merged order keeps every input's."""
    import random

    from agentmerge.arrange import consensus_order

    for seed in range(200):
        rng = random.Random(seed)
        total = [("section", n) for n in range(rng.randint(3, 12))]
        sequences = [sorted(rng.sample(total, rng.randint(1, len(total))), key=total.index) for _ in range(4)]
        keys = sorted({k for s in sequences for k in s})
        fallback = {k: (rng.random(), 0, k[1]) for k in keys}
        out = consensus_order(keys, sequences, fallback)
        assert sorted(out) == keys
        for sequence in sequences:
            assert [k for k in out if k in sequence] == sequence, (seed, sequences, out)


def test_merged_sections_keep_every_order_their_inputs_share() -> None:
    a = agent("## Duties\n\n- Ship APIs\n\n## Inputs\n\n- A spec\n\n## Outputs\n\n- Code\n", "a.md")
    b = agent(
        "## Duties\n\n- Ship APIs\n\n## Skills\n\n- Go\n\n## Method\n\n- Plan first\n\n## Outputs\n\n- Code\n", "b.md"
    )
    c = agent("## Competencies\n\n- Caching\n\n## Method\n\n- Plan first\n\n## Standards\n\n- Lint\n", "c.md")
    titles = [s.section.title for s in consolidate([a, b, c]).body.sections]
    for order in (["Duties", "Inputs", "Outputs"], ["Duties", "Skills", "Method", "Outputs"]):
        assert [t for t in titles if t in order] == order, titles
    assert titles.index("Competencies") < titles.index("Method") < titles.index("Standards")


def test_clustering_reads_lead_in_labels_by_the_parser_rule() -> None:
    """One label rule: a six-word prefix is a sentence to the parser and to the clustering alike,
    and a bare label line is a label to the clustering though it labels no text of its own."""
    from agentmerge.text import lead_label

    sentence = "When you review pull requests carefully: check the tests"
    assert parse_text(f"- {sentence}\n", "a.md").body.items[0].label is None
    assert lead_label(sentence) is None
    assert parse_text("- **Test Quality**: flaky tests\n", "a.md").body.items[0].label == "Test Quality"
    assert lead_label("**Test Quality**: flaky tests") == "Test Quality"
    assert parse_text("- **Suggested Fix**:\n", "a.md").body.items[0].label is None
    assert lead_label("**Suggested Fix**:") == "Suggested Fix"
