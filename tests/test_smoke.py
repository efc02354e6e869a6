from agentmerge import read_agent


def test_seed_parses_with_frontmatter_lines() -> None:
    """The frontmatter keys of a fixture carry their 1-based source lines."""
    agent = read_agent("fixtures/backend-engineer/000-headings-checklists.md")
    assert [(f.key, f.line) for f in agent.fields][:3] == [("name", 2), ("description", 3), ("model", 4)]
