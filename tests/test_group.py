"""agentmerge group: which agents of a library do the same job.

The hand-made library in fixtures/library (three roles written three ways each, for Claude Code,
Copilot and Cursor, plus two agents with jobs of their own) is the reference: it must come out
as exactly those groups, whatever the order of the inputs and whatever PYTHONHASHSEED is.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, ROOT, SHARED, run_cli, write
from hypothesis import given, settings
from hypothesis import strategies as st

from agentmerge import library
from agentmerge.cli import StatusLine
from agentmerge.group import (
    COPY_LEAST,
    COPY_SHARE,
    MIXED_SIMILARITY,
    Profile,
    copy_pairs,
    count_groups,
    group_agents,
    instruction_overlap,
    instruction_weights,
    profile,
    safe_name,
)
from agentmerge.library import one_name, one_scope
from agentmerge.model import Agent
from agentmerge.parse import parse_text, read_agent

LIBRARY = FIXTURES / "library"
LIBRARY_FILES = sorted(p for p in LIBRARY.rglob("*") if p.is_file())
ROLES = {
    "sql": {
        ".claude/agents/sql-reviewer.md",
        ".github/agents/query-auditor.agent.md",
        ".cursor/rules/database-review.mdc",
    },
    "kubernetes": {
        ".claude/agents/k8s-deployer.md",
        ".github/agents/kubernetes-release.agent.md",
        ".cursor/rules/helm-charts.mdc",
    },
    "api-docs": {
        ".claude/agents/api-docs-writer.md",
        ".github/agents/openapi-documenter.agent.md",
        ".cursor/rules/rest-docs.mdc",
    },
}
LONERS = {".claude/agents/haiku-poet.md", ".claude/agents/spreadsheet-formulas.md"}
SEED_FILES = sorted((FIXTURES / "backend-engineer").glob("*.md"))


def relative(path: str) -> str:
    return Path(path).resolve().relative_to(LIBRARY.resolve()).as_posix()


def partition(result: object) -> tuple[set[frozenset[str]], set[str]]:
    groups = {frozenset(relative(m.path) for m in g.members) for g in result.groups}  # type: ignore[attr-defined]
    alone = {relative(m.path) for m in result.singletons}  # type: ignore[attr-defined]
    return groups, alone


def test_the_library_fixture_has_three_roles_of_three_and_two_loners() -> None:
    """The reference library is what the tests below say it is (11 files in three folders)."""
    assert {relative(str(p)) for p in LIBRARY_FILES} == set().union(*ROLES.values()) | LONERS


def test_hand_made_library_gives_exactly_its_roles() -> None:
    """Three roles x three variants by different hands and formats form three groups; the two
    agents with jobs of their own stay alone."""
    result = group_agents([read_agent(p) for p in LIBRARY_FILES])
    groups, alone = partition(result)
    assert groups == {frozenset(members) for members in ROLES.values()}
    assert alone == LONERS
    assert result.parts() == 5


@pytest.mark.parametrize("min_similarity", [0.0, MIXED_SIMILARITY, 0.3, 0.6, 1.0])
def test_count_groups_is_the_number_of_parts(min_similarity: float) -> None:
    """``count_groups`` (consolidate's "are these one role?") counts the parts ``group_agents``
    finds, at any cutoff, on the library and on the four seeds of one role."""
    for agents in ([read_agent(p) for p in LIBRARY_FILES], [read_agent(p) for p in SEED_FILES]):
        expected = group_agents(agents, min_similarity=min_similarity).parts()
        assert count_groups(agents, min_similarity=min_similarity) == expected
    assert count_groups([read_agent(p) for p in SEED_FILES], min_similarity=MIXED_SIMILARITY) == 1


@settings(max_examples=25, deadline=None)
@given(st.permutations(LIBRARY_FILES))
def test_any_input_order_gives_the_same_groups(order: list[Path]) -> None:
    """Grouping does not depend on the order the agents come in: same groups, names and figures."""
    reference = group_agents([read_agent(p) for p in LIBRARY_FILES])
    assert group_agents([read_agent(p) for p in order]) == reference


def test_output_is_the_same_bytes_under_any_hash_seed() -> None:
    """The JSON report is byte-identical under different PYTHONHASHSEED values and argument orders."""
    outputs = set()
    for seed, order in (("0", LIBRARY_FILES), ("1", list(reversed(LIBRARY_FILES))), ("random", LIBRARY_FILES[3:])):
        paths = [str(p) for p in order]
        if seed == "random":
            paths += [str(p) for p in LIBRARY_FILES[:3]]
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-m", "agentmerge", "group", "--format", "json", *paths],
            capture_output=True,
            env=env,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_cli_json_follows_the_contract() -> None:
    """``group --format json`` is version 1 with groups (name, members with path and name,
    overlap) and singletons (path); the folder is walked for its agent files."""
    result = run_cli("group", "--format", "json", str(LIBRARY))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["version"] == 1
    assert len(data["groups"]) == 3
    for g in data["groups"]:
        assert set(g) >= {"name", "members", "overlap"}
        assert 0.0 <= g["overlap"] <= 1.0
        assert all(set(m) == {"path", "name"} for m in g["members"])
        assert g["typical"] in [m["path"] for m in g["members"]]
    assert {relative(s["path"]) for s in data["singletons"]} == LONERS
    names = [g["name"] for g in data["groups"]]
    assert "sql-reviewer" in names and "k8s-deployer" in names


def test_cli_text_and_markdown_list_every_agent_once() -> None:
    """The text and Markdown reports name every agent exactly once, groups first."""
    for fmt in ("text", "markdown"):
        result = run_cli("group", "--format", fmt, str(LIBRARY))
        assert result.exit_code == 0, result.output
        for path in LIBRARY_FILES:
            assert result.stdout.count(str(path).replace(str(LIBRARY), "")) == 1, (fmt, path)
        assert "3 groups of agents doing the same job (9 agents), 2 agents alone; 11 agents in all" in result.stdout
    one = run_cli("group", str(LIBRARY_FILES[0]))
    assert "0 groups of agents doing the same job (0 agents), 1 agent alone; 1 agent in all" in one.stdout


def test_min_overlap_asks_for_shared_instructions() -> None:
    """--min-overlap 1 keeps together only agents whose instructions all have a counterpart."""
    result = run_cli("group", "--format", "json", "--min-overlap", "1", str(LIBRARY))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["groups"] == []


def test_min_similarity_zero_point_nine_splits_the_roles() -> None:
    """A strict --min-similarity leaves agents of one role written differently apart."""
    result = run_cli("group", "--format", "json", "--min-similarity", "0.9", str(LIBRARY))
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["singletons"]) > 2


def test_a_missing_path_is_one_error_line(tmp_path: Path) -> None:
    result = run_cli("group", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr
    assert "Traceback" not in result.output


def test_a_folder_without_agents_is_an_error_and_says_what_was_left_out(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Notes\n\n- nothing here\n", encoding="utf-8")
    result = run_cli("group", str(tmp_path))
    assert result.exit_code == 2
    assert "left out 1 Markdown file with neither an agent file's name" in result.stderr
    assert "holds no agent files" in result.stderr


def test_a_frontmatter_longer_than_the_first_bytes_read_is_found_in_a_folder(tmp_path: Path) -> None:
    """A folder scan reads a file's first 64 KiB for its frontmatter, but the reader takes 64 KiB
    of characters: 40,000 accented letters are 80,000 bytes. Such an agent was left out of its
    folder as a file that is not one; it is read on to its closing line now, and one over the
    limit is refused by name rather than passed over. A frontmatter never closed is no agent's."""
    agent = "---\nname: notes\ndescription: " + "\u00e9" * 40_000 + "\n---\n\nYou review code.\n"
    (tmp_path / "notes.md").write_text(agent, encoding="utf-8")
    (tmp_path / "long.md").write_text(agent.replace("\u00e9" * 40_000, "\u00e9" * 70_000), encoding="utf-8")
    (tmp_path / "open.md").write_text("---\nname: open\ndescription: " + "e" * 70_000 + "\n", encoding="utf-8")
    result = run_cli("check", str(tmp_path))
    assert result.exit_code == 2
    assert "left out 1 Markdown file with neither an agent file's name" in result.stderr  # open.md
    assert result.stderr.count("agentmerge: error:") == 1
    assert f"{tmp_path / 'long.md'}:1: the frontmatter is 68 KiB, more than agentmerge reads" in result.stderr
    assert "No findings in 1 file; 1 could not be checked." in result.stdout


def test_folders_are_walked_by_the_agent_globs(tmp_path: Path) -> None:
    """Files named like agents count wherever they sit; other Markdown only with name and
    description frontmatter; .git and node_modules are never walked."""
    agent = "---\nname: a\ndescription: reviews SQL queries\n---\n\n- Check SQL queries for injection\n"
    (tmp_path / ".claude" / "agents").mkdir(parents=True)
    (tmp_path / ".claude" / "agents" / "plain.md").write_text("- Check SQL queries\n", encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "by-content.md").write_text(agent, encoding="utf-8")
    (tmp_path / "docs" / "notes.md").write_text("# Notes\n", encoding="utf-8")
    (tmp_path / "x.agent.md").write_text("- Check SQL\n", encoding="utf-8")
    for hidden in (".git", "node_modules"):
        (tmp_path / hidden).mkdir()
        (tmp_path / hidden / "y.agent.md").write_text(agent, encoding="utf-8")
    result = run_cli("group", "--format", "json", str(tmp_path))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    found = {s["path"] for s in data["singletons"]} | {m["path"] for g in data["groups"] for m in g["members"]}
    assert {Path(p).relative_to(tmp_path).as_posix() for p in found} == {
        ".claude/agents/plain.md",
        "docs/by-content.md",
        "x.agent.md",
    }


def test_a_file_named_twice_is_one_agent() -> None:
    """The same file given twice, in two spellings or also inside a folder given, is read once."""
    one = LIBRARY_FILES[0]
    spelled = str(one.parent / ".." / one.parent.name / one.name)
    result = run_cli("group", "--format", "json", str(one), spelled, str(LIBRARY))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    paths = [m["path"] for g in data["groups"] for m in g["members"]] + [s["path"] for s in data["singletons"]]
    assert len(paths) == len(LIBRARY_FILES)


def test_unreadable_files_are_reported_and_the_rest_grouped(tmp_path: Path) -> None:
    """A binary file gets its error line and exit 2; the others are still grouped and printed."""
    bad = tmp_path / "bad.agent.md"
    bad.write_bytes(b"\x00\x01\x02" * 400)
    result = run_cli("group", "--format", "json", str(bad), *map(str, LIBRARY_FILES))
    assert result.exit_code == 2
    assert f"agentmerge: error: {bad}" in result.stderr
    report = json.loads(result.stdout)
    assert len(report["groups"]) == 3
    # The report says what it left out: a reader of the JSON alone would see a whole library.
    assert [e["path"] for e in report["errors"]] == [str(bad)] and report["errors"][0]["message"]
    text = run_cli("group", str(bad), *map(str, LIBRARY_FILES)).stdout
    assert text.endswith("11 agents in all; 1 file could not be read\n")
    markdown = run_cli("group", "--format", "markdown", str(bad), *map(str, LIBRARY_FILES)).stdout
    assert f"## Not read (1)\n\n- `{bad}`" in markdown
    assert json.loads(run_cli("group", "--format", "json", *map(str, LIBRARY_FILES)).stdout)["errors"] == []


def test_workers_are_at_most_one_per_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """``-j 100`` on two CPUs started 100 workers: 1.45 GB and 3.4 times the time of two."""
    import multiprocessing

    started: list[int] = []
    context = multiprocessing.get_context()

    class Counting:
        def Pool(self, workers: int, **options: Any) -> Any:
            started.append(workers)
            return context.Pool(workers, **options)

    monkeypatch.setattr(multiprocessing, "get_context", lambda *_: Counting())
    monkeypatch.setattr(library, "cpu_count", lambda: 2)
    arguments = [(-n,) for n in range(library.PARALLEL_FILES)]
    assert library._map(abs, arguments, jobs=100, progress=None, what="x") == list(range(library.PARALLEL_FILES))
    assert started == [2]


def _cached_texts(text: str) -> int:
    """What the text caches held when this file's work began, then this file's work."""
    from agentmerge.text import normalize, terms

    held = normalize.cache_info().currsize + terms.cache_info().currsize
    terms(normalize(text))
    return held


def test_each_file_of_a_batch_starts_with_empty_text_caches() -> None:
    """A command over many files (check, fmt, group) empties the text caches after each file:
    with a thousand corpus files they held 290 MB, which the next file seldom asks of."""
    arguments = [(f"Write test number {n} before the code.",) for n in range(5)]
    held = library.map_work(_cached_texts, arguments, jobs=1)
    assert held[1:] == [0, 0, 0, 0]


def test_clearing_the_text_caches_empties_every_one() -> None:
    from agentmerge import cluster, scorer, text

    text.terms("Review every pull request.")
    cluster.tool_names("Run `pytest` with Bash.")
    scorer.term_weight("review")
    caches = text._TEXT_CACHES
    assert {text.normalize, text.terms, text.stem, cluster.tool_names, scorer.term_weight} <= set(caches)
    text.clear_text_caches()
    assert all(cache.cache_info().currsize == 0 for cache in caches)


def test_many_files_are_read_in_worker_processes_with_the_same_result(tmp_path: Path) -> None:
    """Above the parallel threshold the files are read by worker processes; the report is the
    same as reading them one by one (--jobs 1)."""
    for n in range(60):
        source = LIBRARY_FILES[n % len(LIBRARY_FILES)]
        (tmp_path / f"{n:02d}-{source.name}").write_bytes(source.read_bytes())
    paths = sorted(str(p) for p in tmp_path.iterdir())
    one = run_cli("group", "--format", "json", "--jobs", "1", *paths)
    many = run_cli("group", "--format", "json", "--jobs", "2", *paths)
    assert one.exit_code == many.exit_code == 0
    assert one.stdout == many.stdout


def test_profiles_read_by_workers_hold_one_string_per_term(tmp_path: Path) -> None:
    """Each batch a worker sends brings its own copy of every term; the profiles taken in keep
    one object per term across batches and workers (a library of 3,000 files held 285,000
    strings for 11,700 terms), and are the profiles made in this process."""
    for n in range(60):
        source = LIBRARY_FILES[n % len(LIBRARY_FILES)]
        (tmp_path / f"{n:02d}-{source.name}").write_bytes(source.read_bytes())
    paths = sorted(str(p) for p in tmp_path.iterdir())
    read = library.read_profiles(paths, jobs=2)
    assert list(read.profiles) == [profile(read_agent(p)) for p in paths]
    strings: dict[str, set[int]] = {}
    for found in read.profiles:
        for term in (*found.terms, *(t for instruction in found.instructions for t in instruction)):
            strings.setdefault(term, set()).add(id(term))
    assert len(read.profiles) == 60
    assert all(len(ids) == 1 for ids in strings.values())


def test_instruction_overlap_counts_instructions_with_a_counterpart() -> None:
    """The same agent overlaps itself fully; agents that share no instruction not at all; an
    agent holding half of another's instructions reworded shares about half."""
    a = parse_text("- Check SQL queries for injection\n- Suggest indexes for slow joins\n", "a.md")
    b = parse_text("- Review the SQL queries for injection risks\n- Write haiku about autumn\n", "b.md")
    c = parse_text("- Bake bread at dawn\n- Feed the cat\n", "c.md")
    profiles = [profile(x) for x in (a, b, c)]
    weights = instruction_weights(profiles)
    assert instruction_overlap(profiles[0], profiles[0], weights) == 1.0
    assert instruction_overlap(profiles[0], profiles[2], weights) == 0.0
    assert instruction_overlap(profiles[0], profiles[1], weights) == 0.5


def test_an_agent_without_instructions_overlaps_nothing() -> None:
    empty = Profile("e.md", "e", ("x",), (1.0,), ())
    full = profile(parse_text("- Check SQL\n", "f.md"))
    assert instruction_overlap(empty, full, {}) == 0.0


def test_suggested_name_is_made_of_words_most_members_share() -> None:
    from agentmerge.group import suggested_name

    assert suggested_name(["python-pro", "python-expert", "Python Expert", "se-python"]) == "python-expert"
    assert suggested_name(["b-agent", "a-agent"]) == "a-agent"  # a tie goes to the first in order
    assert suggested_name(["x"]) == "x"


def test_safe_names_are_kebab_case_file_names() -> None:
    assert safe_name("SE: Security Reviewer") == "se-security-reviewer"
    assert safe_name("../../etc/passwd") == "etc-passwd"
    assert safe_name("***") == "agent"
    # A language's sign is spelled, not dropped: C#, C++ and C are three names.
    names = [safe_name(n) for n in ("C# Expert", "C++ Expert", "C Expert")]
    assert names == ["csharp-expert", "cpp-expert", "c-expert"]
    assert safe_name("F#/.NET dev") == "fsharp-net-dev"
    assert safe_name("issue#12 triage") == "issue-12-triage"
    # Accents are dropped, not the letters they sit on; other scripts leave nothing.
    assert safe_name("Révision de code") == "revision-de-code"
    assert safe_name("Überprüfer für Straße") == "uberprufer-fur-strasse"
    assert safe_name("Ревизор") == "agent"


def test_a_declared_name_names_the_group_over_file_names(tmp_path: Path) -> None:
    """Cursor rules have no name field: their file names ("r1", a collection's "rules-react")
    named the groups they were in, and consolidate --by-group wrote r1.md holding the SQL agent."""
    library = tmp_path / "library"
    shutil.copytree(LIBRARY, library)
    rules = library / ".cursor" / "rules"
    for n, stem in enumerate(("database-review", "helm-charts", "rest-docs"), 1):
        (rules / f"{stem}.mdc").rename(rules / f"r{n}.mdc")
    done = run_cli("group", "--format", "json", str(library))
    assert done.exit_code == 0, done.stderr
    names = sorted(g["name"] for g in json.loads(done.stdout)["groups"])
    assert names == ["k8s-deployer", "openapi-documenter", "sql-reviewer"]


def test_two_groups_of_one_name_are_named_apart(tmp_path: Path) -> None:
    """Two groups whose members are all called "helper" are "helper" and "helper-2", so a report
    names each group once (and --by-group writes each to the file of its name)."""
    roles = {
        "sql": ["Review SQL queries for injection", "Check indexes on joined columns", "Flag SELECT * in queries"],
        "k8s": ["Write Kubernetes manifests", "Set resource limits on every pod", "Roll out Helm charts in stages"],
    }
    for role, lines in roles.items():
        for n in (1, 2):
            body = "\n".join(f"- {line}" for line in lines)
            text = f"---\nname: helper\ndescription: {lines[0]}\n---\n\n{body}\n"
            write(tmp_path, f".claude/agents/{role}-{n}.md", text)
    done = run_cli("group", "--format", "json", str(tmp_path))
    assert done.exit_code == 0, done.stderr
    groups = json.loads(done.stdout)["groups"]
    assert sorted(g["name"] for g in groups) == ["helper", "helper-2"]
    assert sorted(len(g["members"]) for g in groups) == [2, 2]


def test_status_line_shows_only_on_a_terminal_and_clears_itself() -> None:
    """The status line writes nothing when disabled; enabled, it draws after its delay and
    clears its line at the end."""
    import io
    import time

    quiet = io.StringIO()
    with StatusLine(quiet, enabled=False, delay=0.0) as status:
        status("reading", 1, 2)
        time.sleep(0.3)
    assert quiet.getvalue() == ""
    shown = io.StringIO()
    with StatusLine(shown, enabled=True, delay=0.0) as status:
        status("reading", 1, 2)
        time.sleep(0.5)
    assert "agentmerge: reading 1/2" in shown.getvalue()
    assert shown.getvalue().endswith("\r\x1b[K")


def test_group_is_order_free_on_random_subsets() -> None:
    """Any subset of the library in a shuffled order groups as the same subset in path order."""
    rng = random.Random(7)
    for _ in range(5):
        chosen = rng.sample(LIBRARY_FILES, 7)
        shuffled = list(chosen)
        rng.shuffle(shuffled)
        a = group_agents([read_agent(p) for p in sorted(chosen)])
        b = group_agents([read_agent(p) for p in shuffled])
        assert a == b


CORPUS = SHARED / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus (not in a fresh clone)")


@needs_corpus
def test_corpus_groups_put_same_role_files_of_different_collections_together() -> None:
    """On the public corpus, the labelled same-role files of different collections share a group:
    three Python agents, three code reviewers and two security reviewers of other collections."""
    files = sorted(p for p in CORPUS.glob("*/*") if p.suffix in (".md", ".mdc"))
    result = run_cli("group", "--format", "json", *map(str, files))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    group_of = {m["path"]: n for n, g in enumerate(data["groups"]) for m in g["members"]}

    def together(*names: str) -> bool:
        found = {group_of.get(str(CORPUS / name)) for name in names}
        return len(found) == 1 and None not in found

    assert together(
        "lst97__claude-code-sub-agents/agents__development__python-pro.md",
        "0xfurai__claude-code-subagents/agents__python-expert.md",
        "rshah515__claude-code-subagents/languages__python-expert.md",
    )
    assert together(
        "vijaythecoder__awesome-claude-agents/agents__core__code-reviewer.md",
        "rshah515__claude-code-subagents/core__code-reviewer.md",
        "wshobson__agents/plugins__comprehensive-review__agents__code-reviewer.md",
    )
    assert together(
        "lst97__claude-code-sub-agents/agents__security__security-auditor.md",
        "github__awesome-copilot/agents__se-security-reviewer.agent.md",
    )
    # One collection's template for two languages is not one job.
    assert not together(
        "lst97__claude-code-sub-agents/agents__development__python-pro.md",
        "lst97__claude-code-sub-agents/agents__development__golang-pro.md",
    )
    collections = [{Path(m["path"]).parent.name for m in g["members"]} for g in data["groups"]]
    assert sum(1 for c in collections if len(c) >= 3) >= 20


def test_one_scope_is_the_same_specific_globs_on_every_input() -> None:
    def rule(globs: str) -> Agent:
        return parse_text(f"---\ndescription: x\nglobs: {globs}\n---\n\n- Use it\n", "r.mdc")

    go, quoted, listed = rule("**/*.go"), rule("'**/*.go'"), rule("['**/*.go']")
    assert one_scope([go, quoted, listed])
    assert not one_scope([go])
    assert not one_scope([go, rule("**/*.ts")])
    assert not one_scope([rule("**/*"), rule("'**/*'")])
    assert not one_scope([go, parse_text("- Use it\n", "a.md")])


def test_one_name_is_the_same_name_on_every_input() -> None:
    def named(name: str) -> Agent:
        return parse_text(f"---\nname: {name}\ndescription: x\n---\n\n- Use it\n", "a.md")

    assert one_name([named("backend-engineer"), named("Backend-Engineer "), named("'backend-engineer'")])
    assert not one_name([named("backend-engineer")])
    assert not one_name([named("backend-engineer"), named("frontend-engineer")])
    assert not one_name([named("backend-engineer"), parse_text("- Use it\n", "b.md")])
    assert not one_name([named("<resourcename>"), named("<resourcename>")])


COPY_DESCRIPTIONS = (
    "Use for backend API work and database changes.",
    "Server-side engineer; call it when endpoints need building.",
    "Implements services, schemas and integrations.",
    "Backend specialist. Invoke for anything on the server.",
    "Builds and fixes REST endpoints.",
)


def write_copies(folder: Path, body: str, descriptions: tuple[str, ...] = COPY_DESCRIPTIONS) -> list[Path]:
    """One agent body under several names, each with its own description."""
    paths = []
    for n, description in enumerate(descriptions, 1):
        path = folder / f"backend-{n}.md"
        path.write_text(f"---\nname: backend-{n}\ndescription: {description}\n---\n\n{body}", encoding="utf-8")
        paths.append(path)
    return paths


def seed_body() -> str:
    return SEED_FILES[0].read_text(encoding="utf-8").split("\n---\n", 1)[1]


def test_copies_with_reworded_descriptions_are_one_group(tmp_path: Path) -> None:
    """Five copies of one agent whose descriptions were each written anew are one group, and one
    role to consolidate: their role vectors, which weigh the description heavily, scored 0.04 to
    0.13 against each other, and group called them five agents alone."""
    paths = write_copies(tmp_path, seed_body())
    result = group_agents([read_agent(p) for p in paths])
    assert [len(g.members) for g in result.groups] == [5] and not result.singletons
    assert result.groups[0].overlap == 1.0
    assert count_groups([read_agent(p) for p in paths], min_similarity=MIXED_SIMILARITY, corpus_background=True) == 1
    done = run_cli("consolidate", "--format", "json", *map(str, paths))
    assert done.exit_code == 0, done.stderr


def test_a_copy_with_a_few_lines_edited_is_still_a_copy(tmp_path: Path) -> None:
    """An instruction reworded, one added: still at least COPY_SHARE of both agents' instructions."""
    body = seed_body()
    lines = [line for line in body.splitlines() if line.startswith("- ")]
    assert len(lines) >= 20
    edited = body.replace(lines[3], "- Profile slow endpoints before tuning them", 1) + "\n- Keep a changelog\n"
    a, b = write_copies(tmp_path, body, COPY_DESCRIPTIONS[:2])
    b.write_text(b.read_text(encoding="utf-8").replace(body, edited), encoding="utf-8")
    pairs = copy_pairs([profile(read_agent(p)) for p in (a, b)])
    assert [(i, j) for _, i, j in pairs] == [(0, 1)] and COPY_SHARE <= pairs[0][0] < 1.0


def test_template_siblings_and_short_rules_are_not_copies() -> None:
    """Two agents filling one template for two tools (every line names its own) share no
    instruction; two short rules that say the same are fewer than COPY_LEAST instructions."""
    lines = ("Write tests with {t}", "Mock modules with {t} mocks", "Run {t} in watch mode", "Snapshot UI with {t}")
    template = "".join(f"- {line}\n" for line in (*lines, "Keep each test independent", "Name tests by behaviour"))
    jest = profile(parse_text(template.format(t="Jest"), "jest.md"))
    vitest = profile(parse_text(template.format(t="Vitest"), "vitest.md"))
    short = [profile(parse_text("- Use TypeScript\n- Prefer const\n", f"{n}.md")) for n in "ab"]
    assert copy_pairs([jest, vitest]) == []
    assert copy_pairs(short) == []


def brute_copy_pairs(profiles: list[Profile]) -> list[tuple[float, int, int]]:
    from collections import Counter

    bags = [Counter(tuple(sorted(set(terms))) for terms in p.instructions) for p in profiles]
    found = []
    for j in range(len(bags)):
        for i in range(j):
            common = sum((bags[i] & bags[j]).values())
            total = sum(bags[i].values()) + sum(bags[j].values())
            if total and 2 * common / total >= COPY_SHARE and common >= COPY_LEAST:
                found.append((round(2 * common / total, 6), i, j))
    return sorted(found, key=lambda p: (p[1], p[2]))


@st.composite
def libraries_of_near_copies(draw: st.DrawFn) -> list[tuple[tuple[str, ...], ...]]:
    """A few base agents of 0 to 16 instructions (words of a small vocabulary, repeats allowed),
    and copies of them with an instruction or two dropped, added or said twice."""
    word = st.integers(0, 20)
    bases = draw(st.lists(st.lists(word, max_size=16), min_size=1, max_size=3))
    bags = []
    for _ in range(draw(st.integers(2, 10))):
        bag = list(draw(st.sampled_from(bases)))
        for _ in range(draw(st.integers(0, 2))):
            if bag and draw(st.booleans()):
                del bag[draw(st.integers(0, len(bag) - 1))]
            else:
                bag.append(draw(word))
        bags.append(tuple((f"w{n}",) for n in bag))
    return bags


@settings(max_examples=120, deadline=None)
@given(libraries_of_near_copies())
def test_copy_pairs_finds_what_comparing_every_pair_finds(bags: list[tuple[tuple[str, ...], ...]]) -> None:
    """The prefix filter loses no copy: on small libraries (no instruction in more than
    COPY_POSTINGS agents) every pair it finds is one that comparing every pair finds, with the
    same share, and the agents they join are the same (an agent whose instructions are all those
    of an earlier one pairs with that one only). Repeats of one instruction count."""
    profiles = [Profile(f"{n}.md", str(n), (), (), bag) for n, bag in enumerate(bags)]
    found, every = copy_pairs(profiles), brute_copy_pairs(profiles)
    assert set(found) <= set(every)
    assert components(len(profiles), found) == components(len(profiles), every)


def components(size: int, pairs: list[tuple[float, int, int]]) -> set[frozenset[int]]:
    parent = list(range(size))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for _, i, j in pairs:
        parent[find(i)] = find(j)
    return {frozenset(n for n in range(size) if find(n) == root) for root in range(size)}


def test_check_reports_copies_as_overlapping_agents(tmp_path: Path) -> None:
    """AM302 (agents that overlap) names copies whose descriptions differ: it was silent on the
    five copies above."""
    paths = write_copies(tmp_path, seed_body())
    done = run_cli("check", "--select", "AM302", *map(str, paths))
    assert done.exit_code == 1
    assert done.stdout.count("AM302 shares 100% of its instructions with") == 4


def test_overlap_past_the_budget_is_left_unmeasured_and_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no budget for instruction overlap, check's AM302 and group's figures measure nothing,
    and both say how many pairs they left out, rather than working for minutes."""
    import agentmerge.group as grouping

    paths = write_copies(tmp_path, seed_body(), COPY_DESCRIPTIONS[:3])
    monkeypatch.setattr(grouping, "OVERLAP_VISITS_LEAST", 0)
    monkeypatch.setattr(grouping, "OVERLAP_VISITS_PER_AGENT", 0)
    checked = run_cli("check", "--select", "AM302", *map(str, paths))
    assert checked.exit_code == 0, checked.stdout
    assert "warning: AM302 left 2 pairs of agents unmeasured" in checked.stderr
    grouped = run_cli("group", "--format", "json", *map(str, paths))
    assert json.loads(grouped.stdout)["groups"][0]["overlap"] == 0.0
    assert "warning: instruction overlap left 2 pairs of agents unmeasured" in grouped.stderr
    monkeypatch.undo()
    assert run_cli("check", "--select", "AM302", *map(str, paths)).stdout.count("AM302 shares 100%") == 2


def test_the_example_in_docs_group_md_is_what_the_command_prints() -> None:
    """docs/group.md shows `agentmerge group fixtures/library` with its output; it drifted once
    (a share of 49% where the command printed 45%)."""
    doc = (ROOT / "docs" / "group.md").read_text(encoding="utf-8")
    shown = re.search(r"```text\n\$ agentmerge group fixtures/library\n(.*?)```", doc, re.DOTALL)
    assert shown is not None
    result = run_cli("group", "fixtures/library", cwd=ROOT)
    assert result.stdout == shown.group(1)


def test_a_folder_that_cannot_be_read_is_an_error_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A subfolder the user may not list was skipped without a word, and the command grouped the
    rest and succeeded; it is now an error naming the folder, as an unreadable file is."""
    agents = tmp_path / ".claude" / "agents"
    (agents / "locked").mkdir(parents=True)
    for name in ("sql-reviewer", "haiku-poet"):
        (agents / f"{name}.md").write_bytes((FIXTURES / "library/.claude/agents" / f"{name}.md").read_bytes())
    locked = str(agents / "locked")
    real_scandir = os.scandir

    def scandir(path: str = ".") -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run_cli("group", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == f"agentmerge: error: {locked}: cannot be read (Permission denied); check its permissions\n"


def test_ctrl_c_stops_the_worker_processes_with_one_line(tmp_path: Path) -> None:
    """A terminal's Ctrl-C reaches every process of the command: the workers died with tracebacks
    of their own ("Process ForkPoolWorker-1: ... KeyboardInterrupt") and the parent could wait
    forever for their results. Now the workers leave it to the parent, which stops them."""
    import signal
    import time

    script = tmp_path / "run.py"
    script.write_text(
        f"import sys, time\nsys.path.insert(0, {str(ROOT)!r})\nfrom agentmerge.library import map_work\n"
        "try:\n    map_work(time.sleep, [(0.2,)] * 400, jobs=2)\nexcept KeyboardInterrupt:\n"
        "    sys.exit('aborted')\n",
        encoding="utf-8",
    )
    run = subprocess.Popen([sys.executable, str(script)], stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(1.5)
    os.killpg(run.pid, signal.SIGINT)
    try:
        _, err = run.communicate(timeout=20)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert (run.returncode, err.decode()) == (1, "aborted\n")


def test_agents_written_in_other_scripts_are_grouped_by_what_they_say() -> None:
    """Two reviewers written in Russian and two in Chinese, all named "reviewer": their words were
    no words at all, so the name alone made one group of the four at 100%; now each language's
    pair is a group of its own."""
    texts = {
        "ru1.md": "- Пишите модульные тесты для нового кода\n- Никогда не храните секреты в репозитории\n",
        "ru2.md": "- Проверяйте модульные тесты для нового кода\n- Никогда не коммитьте секреты в репозиторий\n",
        "zh1.md": "- 为新代码编写单元测试\n- 永远不要在仓库中存储密钥\n",
        "zh2.md": "- 审查新代码的单元测试\n- 永远不要把密钥提交到仓库中\n",
    }
    described = {"ru": "Проверяет код", "zh": "审查代码"}
    agents = [
        parse_text(f"---\nname: reviewer\ndescription: {described[path[:2]]}\n---\n\n{body}", path)
        for path, body in texts.items()
    ]
    groups = sorted(sorted(m.path for m in g.members) for g in group_agents(agents).groups)
    assert groups == [["ru1.md", "ru2.md"], ["zh1.md", "zh2.md"]]
