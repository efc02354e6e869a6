"""consolidate over whole libraries: folders, inputs that are not one role, --by-group, widening.

Consolidating a folder must be a choice, not an accident: inputs that form more than one group
are refused (exit 2, the groups named) unless --mixed; --by-group writes one merged agent per
group into a folder that is not one the inputs are read from.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import FIXTURES, SEEDS, SHARED, corpus_files, needs_corpus, run_cli, write

from agentmerge.consolidate import consolidate
from agentmerge.errors import AgentMergeError
from agentmerge.formats import BY_NAME, TARGETS, removed_set
from agentmerge.group import MIXED_SIMILARITY, Group, Member, count_groups, profile, role_vectors
from agentmerge.group import cosine as role_similarity
from agentmerge.library import file_names, widenings
from agentmerge.parse import parse_text, read_agent

LIBRARY = FIXTURES / "library"

UNRELATED = {
    "angularjs-expert.md": (
        "---\nname: angularjs-expert\ndescription: AngularJS 1.x expert for directives, scopes and digest cycles.\n"
        "---\n\nYou maintain AngularJS 1.x applications.\n\n"
        "- Write directives with isolated scope and controllerAs syntax\n"
        "- Keep watchers few; every $watch slows the digest cycle\n"
        "- Use one-time bindings (::) for values that never change\n"
        "- Plan the migration of each module to modern Angular\n"
    ),
    "imaging.agent.md": (
        "---\nname: Imaging Analyst\ndescription: Looks at medical images and DICOM metadata.\n---\n\n"
        "# Imaging\n\n"
        "1. Read the DICOM headers: modality, series and slice thickness\n"
        "2. Check that pixel spacing is consistent across the series\n"
        "3. Flag images whose window and level settings hide detail\n"
    ),
    "nextjs.mdc": (
        "---\ndescription: Next.js App Router conventions\nglobs: app/**\nalwaysApply: false\n---\n\n"
        "- Put pages in the app router; use server components by default\n"
        "- Mark client components with 'use client' only when they need state\n"
        "- Fetch data in server components and cache it with revalidate\n"
    ),
    "performance-engineer.md": (
        "---\nname: performance-engineer\ndescription: Profiles services and fixes latency and throughput problems.\n"
        "tools: Read, Bash\nmodel: opus\n---\n\n"
        "## Focus\n\n"
        "- Measure before optimising: profile CPU and memory under load\n"
        "- Find the slowest endpoints from p99 latency, not averages\n"
        "- Add caching only where measurements show repeated work\n"
        "- Load test after every fix and compare with the baseline\n"
    ),
}
"""Four agents with nothing in common, written for these tests (like the issue's corpus case)."""


def write_unrelated(folder: Path) -> list[Path]:
    paths = []
    for name, text in UNRELATED.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def test_unrelated_agents_are_refused_with_the_groups_named(tmp_path: Path) -> None:
    """Four unrelated agents: exit 2, a warning naming the four groups, nothing on stdout."""
    paths = write_unrelated(tmp_path)
    result = run_cli("consolidate", *map(str, paths))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "these 4 inputs do not look like one role: they form 4 groups" in result.stderr
    for path in paths:
        assert str(path) in result.stderr
    assert "--mixed" in result.stderr and "--by-group" in result.stderr
    assert "Traceback" not in result.output


def test_mixed_merges_them_anyway(tmp_path: Path) -> None:
    paths = write_unrelated(tmp_path)
    result = run_cli("consolidate", "--mixed", *map(str, paths))
    assert result.exit_code == 0, result.output
    assert "Write directives with isolated scope" in result.stdout
    assert "Load test after every fix" in result.stdout


GO_RULES = {
    "go-service.mdc": (
        "---\ndescription: Go service rules\nglobs: **/*.go\n---\n\n"
        "- Return errors as the last return value\n"
        "- Pass context.Context as the first parameter\n"
        "- Keep interfaces small and define them where they are used\n"
        "- Run go vet and staticcheck in CI\n"
    ),
    "golang.mdc": (
        "---\ndescription: Golang conventions\nglobs: '**/*.go'\n---\n\n"
        "- Handle every error; never discard one with _\n"
        "- Accept a ctx argument in any function that does I/O\n"
        "- Accept interfaces, return structs\n"
        "- Lint with golangci-lint before pushing\n"
    ),
}
"""Two short Cursor rules for the same Go files, worded apart (written for these tests)."""


def test_rules_for_the_same_files_are_one_role(tmp_path: Path) -> None:
    """Two Go rules share too few words to look like one role, but both are attached to the Go
    files: they are consolidated, not refused."""
    paths = []
    for name, text in GO_RULES.items():
        paths.append(tmp_path / name)
        paths[-1].write_text(text, encoding="utf-8")
    agents = [read_agent(str(p)) for p in paths]
    assert count_groups(agents, min_similarity=MIXED_SIMILARITY, corpus_background=True) == 2
    result = run_cli("consolidate", *map(str, paths))
    assert result.exit_code == 0, result.output
    assert "Run go vet and staticcheck in CI" in result.stdout
    assert "Lint with golangci-lint before pushing" in result.stdout


def test_rules_for_every_file_are_not_one_role_by_their_globs(tmp_path: Path) -> None:
    """``**/*`` is what most Cursor rules give whatever their job: it says nothing of the role."""
    paths = []
    for name, text in UNRELATED.items():
        if "globs:" in text:
            text = text.replace("globs: app/**", "globs: '**/*'")
        else:
            text = text.replace("---\nname:", "---\nglobs: '**/*'\nname:", 1)
        paths.append(tmp_path / f"{name.split('.')[0]}.mdc")
        paths[-1].write_text(text, encoding="utf-8")
    agents = [read_agent(str(p)) for p in paths]
    assert all(a.field("globs") is not None for a in agents)
    result = run_cli("consolidate", *map(str, paths))
    assert result.exit_code == 2
    assert "do not look like one role" in result.stderr


def test_one_role_is_not_refused() -> None:
    """The four seed variants of one role consolidate as before, without --mixed."""
    result = run_cli("consolidate", *map(str, SEEDS))
    assert result.exit_code == 0, result.output


ONE_TOPIC = {
    "api-builder.md": (
        "---\nname: api-builder\ndescription: Builds FastAPI services with Pydantic models and async SQLAlchemy "
        "sessions.\n---\n\nYou are a backend engineer who builds FastAPI services for product teams.\n\n"
        "## Practices\n\n"
        "- Declare request and response bodies as Pydantic models\n"
        "- Open async SQLAlchemy sessions through a FastAPI dependency\n"
        "- Return 422 with the failing fields when validation fails\n"
        "- Version every route under /v1 and document it in the OpenAPI schema\n"
        "- Keep handlers thin: business rules live in service functions\n\n"
        "## Working style\n\n"
        "- Read the existing code before proposing a change\n"
        "- Explain trade-offs in plain words\n"
        "- Ask before adding a new dependency\n"
    ),
    "endpoint-helper.md": (
        "---\nname: fastapi-helper\ndescription: Helps write FastAPI endpoints, Pydantic schemas and Alembic "
        "migrations.\n---\n\n# FastAPI helper\n\nWork through this list for each endpoint you touch.\n\n"
        "1. Pydantic schemas for what comes in and what goes out\n"
        "2. The database session injected as a dependency, never created in the route\n"
        "3. An Alembic migration for each change to a table\n"
        "4. Tests with the httpx async client against the app\n"
        "5. Status codes and error bodies written into the OpenAPI docs\n\n"
        "## Habits\n\n"
        "- Keep commits small and describe the reason in the message\n"
        "- Prefer boring, well-known libraries over clever ones\n"
        "- Measure latency before and after a performance change\n"
        "- Pair every bug fix with a test that failed before it\n"
    ),
}
"""Two takes on one role in two templates: they share their topic's words (FastAPI, Pydantic,
dependency, OpenAPI) and little else."""


def test_the_one_role_check_weighs_words_against_the_corpus(tmp_path: Path) -> None:
    """Two inputs alone cannot tell their common topic from common words (every shared word is in
    all of them); weighed against the corpus, the topic counts and the pair reads as one role."""
    paths = []
    for name, text in ONE_TOPIC.items():
        paths.append(tmp_path / name)
        paths[-1].write_text(text, encoding="utf-8")
    profiles = [profile(read_agent(p)) for p in paths]
    alone = role_similarity(*role_vectors(profiles))
    weighed = role_similarity(*role_vectors(profiles, corpus_background=True))
    assert weighed > alone + 0.15
    result = run_cli("consolidate", *map(str, paths))
    assert result.exit_code == 0, result.output
    assert "Alembic migration" in result.stdout and "Pydantic models" in result.stdout


@needs_corpus
def test_groups_of_the_corpus_read_as_one_role() -> None:
    """Nearly every group ``group`` finds in the corpus passes consolidate's one-role check, and
    pairs of agents it leaves alone rarely do."""
    listed = run_cli("group", "--format", "json", *map(str, corpus_files()))
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    groups = [sorted(m["path"] for m in g["members"]) for g in data["groups"] if len(g["members"]) <= 12]
    agents = {path: read_agent(path) for members in groups for path in members}
    refused = [
        members
        for members in groups
        if count_groups([agents[p] for p in members], min_similarity=MIXED_SIMILARITY, corpus_background=True) > 1
    ]
    assert len(groups) > 150
    assert len(refused) <= 0.05 * len(groups), refused
    loners = sorted(m["path"] for m in data["singletons"])[:60]
    apart = [(a, b) for a, b in zip(loners, reversed(loners), strict=True) if a < b]
    loose = [
        (a, b)
        for a, b in apart
        if count_groups([read_agent(a), read_agent(b)], min_similarity=MIXED_SIMILARITY, corpus_background=True) == 1
    ]
    assert len(loose) <= 2, loose


def test_a_folder_is_its_agent_files_and_a_mixed_one_is_refused() -> None:
    """consolidate FOLDER reads the folder's agent files; a library of several roles is refused."""
    result = run_cli("consolidate", str(LIBRARY))
    assert result.exit_code == 2
    assert "they form 5 groups" in result.stderr
    seeds = run_cli("consolidate", str(FIXTURES / "backend-engineer"))
    assert seeds.exit_code == 0, seeds.output
    assert seeds.stdout == run_cli("consolidate", *map(str, SEEDS)).stdout


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_by_group_writes_one_agent_per_role(tmp_path: Path) -> None:
    """--by-group on a mixed folder writes one merged agent per role, none for the agents alone;
    the inputs are untouched; each output is a valid agent holding its members' instructions."""
    before = snapshot(LIBRARY)
    out = tmp_path / "merged"
    reports = tmp_path / "reports"
    result = run_cli("consolidate", "--by-group", "-o", str(out), "--report", str(reports), str(LIBRARY))
    assert result.exit_code == 0, result.output
    assert snapshot(LIBRARY) == before
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 3
    assert {"sql-reviewer.md", "k8s-deployer.md"} <= set(written)
    assert sorted(p.name for p in reports.iterdir()) == sorted(n[:-3] + ".json" for n in written)
    sql = read_agent(out / "sql-reviewer.md")
    assert sql.field("name") is not None
    texts = " ".join(item.text for _, item in sql.items())
    assert "EXPLAIN" in texts and "N+1" in texts
    assert "haiku" not in " ".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    assert "agentmerge: 3 groups consolidated into" in result.stderr
    assert "; 2 agents alone were not written" in result.stderr
    sql_and_poet = [
        ".claude/agents/sql-reviewer.md",
        ".github/agents/query-auditor.agent.md",
        ".claude/agents/haiku-poet.md",
    ]
    one = run_cli("consolidate", "--by-group", "-o", str(tmp_path / "one"), *(str(LIBRARY / p) for p in sql_and_poet))
    assert one.exit_code == 0, one.stderr
    assert "agentmerge: 1 group consolidated into" in one.stderr and "; 1 agent alone was not written" in one.stderr
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_by_group_never_writes_through_a_link_in_the_output_folder(tmp_path: Path) -> None:
    """The files --by-group writes are named after the agents (a stranger's choice): a symbolic
    link of such a name in the output folder, to a file or to nothing yet, is refused before any
    file is written, and neither the file it leads to nor a new one is written."""
    out = tmp_path / "merged"
    out.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("precious\n", encoding="utf-8")
    (out / "sql-reviewer.md").symlink_to(victim)
    result = run_cli("consolidate", "--by-group", "-o", str(out), str(LIBRARY))
    assert result.exit_code == 2
    assert "sql-reviewer.md: is a symbolic link" in result.stderr and "Traceback" not in result.stderr
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert sorted(p.name for p in out.iterdir()) == ["sql-reviewer.md"]
    (out / "sql-reviewer.md").unlink()
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "sql-reviewer.json").symlink_to(tmp_path / "created-elsewhere.json")
    result = run_cli("consolidate", "--by-group", "-o", str(out), "--report", str(reports), str(LIBRARY))
    assert result.exit_code == 2 and "sql-reviewer.json: is a symbolic link" in result.stderr
    assert not (tmp_path / "created-elsewhere.json").exists() and not list(out.iterdir())


def test_by_group_output_folder_that_cannot_be_made_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An output folder the system will not make (a read-only file system, no permission) is a
    one-line error naming it, exit 2, not an internal error."""

    def refuse(path: str, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os, "makedirs", refuse)
    result = run_cli("consolidate", "--by-group", "-o", str(tmp_path / "sub"), str(LIBRARY))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "sub: cannot be made a folder (Permission denied)" in result.stderr


def test_by_group_refuses_a_folder_it_reads_from(tmp_path: Path) -> None:
    """Writing the merged agents into an input folder needs the flag that names the risk."""
    library = tmp_path / "agents"
    library.mkdir()
    for p in LIBRARY.rglob("*"):
        if p.is_file():
            (library / p.name).write_bytes(p.read_bytes())
    before = snapshot(library)
    for target in (library, library / "merged"):
        result = run_cli("consolidate", "--by-group", "-o", str(target), str(library))
        assert result.exit_code == 2
        assert "--write-into-input-folder" in result.stderr
    assert snapshot(library) == before
    allowed = run_cli(
        "consolidate", "--by-group", "--write-into-input-folder", "-o", str(library / "merged"), str(library)
    )
    assert allowed.exit_code == 0, allowed.output
    assert {k: v for k, v in snapshot(library).items() if not k.startswith("merged/")} == before


def test_by_group_never_overwrites_an_input(tmp_path: Path) -> None:
    """Even with the folder allowed, a group whose file name is an input's is refused without --force."""
    library = tmp_path / "agents"
    library.mkdir()
    for p in (LIBRARY / ".claude" / "agents").iterdir():
        (library / p.name).write_bytes(p.read_bytes())
    for p in (LIBRARY / ".github" / "agents").iterdir():
        (library / p.name).write_bytes(p.read_bytes())
    before = snapshot(library)
    result = run_cli("consolidate", "--by-group", "--write-into-input-folder", "-o", str(library), str(library))
    assert result.exit_code == 2
    assert "is one of the inputs" in result.stderr
    assert snapshot(library) == before


@pytest.mark.parametrize("cutoffs", [("--min-similarity", "0.5"), ("--min-overlap", "0.4")])
def test_by_group_writes_the_groups_group_finds_at_the_same_cutoffs(tmp_path: Path, cutoffs: tuple[str, str]) -> None:
    """docs/group.md advises a stricter --min-similarity for broad groups; --by-group took no
    cutoff and merged the default's groups of three."""
    grouped = json.loads(run_cli("group", "--format", "json", *cutoffs, str(LIBRARY)).stdout)
    expected = {g["name"]: sorted(m["path"] for m in g["members"]) for g in grouped["groups"]}
    assert sorted(len(paths) for paths in expected.values()) != [3, 3, 3]  # not the default's groups
    out, reports = tmp_path / "merged", tmp_path / "reports"
    done = run_cli("consolidate", "--by-group", *cutoffs, "-o", str(out), "--report", str(reports), str(LIBRARY))
    assert done.exit_code == 0, done.stderr
    written = {
        p.stem: sorted(i["path"] for i in json.loads(p.read_text(encoding="utf-8"))["inputs"])
        for p in reports.iterdir()
    }
    assert written == expected


def test_grouping_cutoffs_without_by_group_are_a_usage_error() -> None:
    done = run_cli("consolidate", "--min-similarity", "0.5", *map(str, SEEDS))
    assert done.exit_code == 2 and "--by-group" in done.stderr


def test_by_group_needs_an_output_folder() -> None:
    result = run_cli("consolidate", "--by-group", str(LIBRARY))
    assert result.exit_code == 2
    assert "-o DIR" in result.output


def test_widening_is_said_on_stderr(tmp_path: Path) -> None:
    """A tool or skill the merged agent has and an input did not, and a model change, are each
    named on stderr in the default output."""
    a = tmp_path / "a.md"
    b = tmp_path / "b.md"
    a.write_text(
        "---\nname: sql\ndescription: reviews SQL\ntools: Read, Grep\nmodel: sonnet\n"
        "disallowedTools: Bash\n---\n\n- Check SQL queries for injection\n",
        encoding="utf-8",
    )
    b.write_text(
        "---\nname: sql\ndescription: reviews SQL\ntools: Read, Write, Bash\nmodel: opus\nskills: [sql-style]\n"
        "---\n\n- Check SQL queries for injection risks\n",
        encoding="utf-8",
    )
    result = run_cli("consolidate", str(a), str(b))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "widening" in line]
    assert any("tools Bash, Write (tools)" in w and str(a) in w for w in warnings), warnings
    assert any("tool Grep (tools)" in w and str(b) in w for w in warnings), warnings
    assert any("skill sql-style" in w and str(a) in w for w in warnings), warnings
    assert any(w.split("widening: ")[1].startswith("model is ") for w in warnings), warnings


def test_file_patterns_widen_only_against_inputs_whose_tool_reads_them() -> None:
    """A subagent and a Copilot agent have no globs because their tools read none: the merged
    agent's patterns widened nothing of theirs, and were named as if they did. A Cursor rule
    without globs is still bound by having none."""
    k8s = [LIBRARY / p for p in (".claude/agents/k8s-deployer.md", ".github/agents/kubernetes-release.agent.md")]
    rule = LIBRARY / ".cursor/rules/helm-charts.mdc"
    inputs = [read_agent(p) for p in (*k8s, rule)]
    merged = consolidate(inputs).agent
    assert merged.field("globs") is not None
    assert not [w for w in widenings(inputs, merged) if "(globs)" in w]
    bare = parse_text(rule.read_text(encoding="utf-8").replace('globs: ["charts/**", "k8s/**/*.yaml"]\n', ""), "b.mdc")
    assert bare.field("globs") is None
    found = [w for w in widenings([*inputs, bare], merged) if "(globs)" in w]
    assert len(found) == 1 and "b.mdc" in found[0] and str(k8s[0]) not in found[0], found


def test_widenings_of_a_dropped_tools_list_or_deny_list() -> None:
    """A merged agent without a tools list may use every tool, and one without an input's deny list
    may use what it forbade: both widen that input."""
    narrow = parse_text("---\nname: a\ntools: Read\n---\n\n- x\n", "a.md")
    merged = parse_text("---\nname: a\n---\n\n- x\n", "m.md")
    assert widenings([narrow], merged) == [
        "the merged agent has no tools list, so it may use every tool; a.md allowed only Read"
    ]
    assert widenings([merged], narrow) == []
    denying = parse_text("---\nname: a\ndisallowedTools: Bash, WebFetch\n---\n\n- x\n", "d.md")
    assert widenings([denying], merged) == [
        "the merged agent no longer forbids tools Bash, WebFetch (disallowedTools), which d.md forbade"
    ]


CORPUS = SHARED / "corpus"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus (not in a fresh clone)")
def test_the_corpus_unrelated_four_are_refused() -> None:
    """The issue's case from the public corpus: an AngularJS expert, a Copilot imaging agent, a
    Cursor Next.js rule and a performance engineer exit 2 with the warning."""
    paths = [
        CORPUS / "0xfurai__claude-code-subagents" / "agents__angularjs-expert.md",
        CORPUS / "github__awesome-copilot" / "agents__cast-imaging-impact-analysis.agent.md",
        CORPUS / "PatrickJS__awesome-cursorrules" / "rules__nextjs.mdc",
        CORPUS / "lst97__claude-code-sub-agents" / "agents__infrastructure__performance-engineer.md",
    ]
    result = run_cli("consolidate", *map(str, paths))
    assert result.exit_code == 2
    assert "they form 4 groups" in result.stderr
    assert os.path.basename(str(paths[1])) in result.stderr


def test_by_group_keeps_the_file_ending_its_members_format_is_read_by(tmp_path: Path) -> None:
    """Cursor reads rules only from .mdc files: a group of Cursor rules is written as one, its
    globs unquoted as Cursor reads them; its report is <name>.json."""
    library = tmp_path / "rules"
    library.mkdir()
    rule = "---\ndescription: {d}\nglobs: **/*.sql\nalwaysApply: false\n---\n\n{body}"
    body = (
        "- Check every query plan with EXPLAIN before merging.\n- Flag N+1 queries in loops.\n"
        "- Keep transactions short.\n- Add an index for each foreign key.\n"
    )
    (library / "sql-a.mdc").write_text(rule.format(d="SQL review rules", body=body), encoding="utf-8")
    (library / "sql-b.mdc").write_text(rule.format(d="Rules for reviewing SQL", body=body), encoding="utf-8")
    out, reports = tmp_path / "merged", tmp_path / "reports"
    result = run_cli("consolidate", "--by-group", "-o", str(out), "--report", str(reports), str(library))
    assert result.exit_code == 0, result.output
    (written,) = out.iterdir()
    assert written.suffix == ".mdc"
    assert "\nglobs: **/*.sql\n" in written.read_text(encoding="utf-8")
    assert [p.name for p in reports.iterdir()] == [written.name.split(".")[0] + ".json"]


def test_by_group_keeps_the_name_a_tool_reads_its_members_by(tmp_path: Path) -> None:
    """Files read by their name alone merge into a file of that name: the projects' AGENTS.md
    into AGENTS.md (it was agents.md, which no tool reads as AGENTS.md), a second such group into
    AGENTS-2.md; a group of differently named files keeps its own name."""
    library = tmp_path / "projects"
    body = "# Project guide\n\n- Run `make test` before every commit.\n- Target Python 3.11.\n- {extra}\n"
    for project, extra in (("api", "Keep handlers small."), ("web", "Keep components small.")):
        (library / project).mkdir(parents=True)
        (library / project / "AGENTS.md").write_text(body.format(extra=extra), encoding="utf-8")
    out, reports = tmp_path / "merged", tmp_path / "reports"
    result = run_cli("consolidate", "--by-group", "-o", str(out), "--report", str(reports), str(library))
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["AGENTS.md"]
    assert [p.name for p in reports.iterdir()] == ["AGENTS.json"]
    agents = [library / "api" / "AGENTS.md", library / "web" / "AGENTS.md"]
    group = Group("agents", tuple(Member(str(p), "AGENTS") for p in agents), 1.0, 1.0, str(agents[0]), ())
    mixed = Group("project", (Member(str(agents[0]), "AGENTS"), Member("b/CLAUDE.md", "CLAUDE")), 1.0, 1.0, "", ())
    assert file_names([group, group, mixed]) == ["AGENTS.md", "AGENTS-2.md", "project.md"]


# --------------------------------------------------------------------------------------------
# --for: one tool's kind of file from variants written for several

SQL_GROUP = [
    LIBRARY / ".claude" / "agents" / "sql-reviewer.md",
    LIBRARY / ".cursor" / "rules" / "database-review.mdc",
    LIBRARY / ".github" / "agents" / "query-auditor.agent.md",
]
"""One job kept for three tools in the bundled library."""


def _input_fields(paths: list[Path]) -> list[tuple[str, int]]:
    return sorted((str(p), f.line) for p in paths for f in read_agent(str(p)).fields)


def _report_fields(report: dict[str, object], *lists: str) -> list[tuple[str, int]]:
    return sorted((s["path"], s["line"]) for name in lists for f in report[name] for s in f["sources"])  # type: ignore[attr-defined, index]


@pytest.mark.parametrize(
    ("target", "written", "left_out"),
    [
        ("cursor-rule", ["description", "globs", "alwaysApply"], ["name", "tools", "model"]),
        ("claude-code", ["name", "description", "tools", "model"], ["globs", "alwaysApply"]),
        ("copilot-agent", ["name", "description", "tools", "model"], ["globs", "alwaysApply"]),
    ],
)
def test_for_writes_the_agent_as_that_tool_reads_it_and_accounts_for_the_rest(
    tmp_path: Path, target: str, written: list[str], left_out: list[str]
) -> None:
    """The merged file holds only the keys the tool documents, so check finds nothing to say about
    them; every input field is still in exactly one report entry, written or left out."""
    out = tmp_path / f"merged{BY_NAME[target].suffix}"
    report = tmp_path / "report.json"
    result = run_cli("consolidate", "--for", target, "-o", str(out), "--report", str(report), *map(str, SQL_GROUP))
    assert result.exit_code == 0, result.stderr
    merged = read_agent(str(out))
    assert [f.key for f in merged.fields] == written
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["for"] == target
    assert [f["key"] for f in data["fields"]] == written
    assert [f["key"] for f in data["left_out"]] == left_out
    assert not any(s.get("kept") for f in data["left_out"] for s in f["sources"])
    assert _report_fields(data, "fields", "left_out") == _input_fields(SQL_GROUP)
    for key in left_out:
        assert f"warning: {key} (" in result.stderr and "is left out" in result.stderr
    checked = run_cli("check", "--select", "AM1", "--format", "json", str(out))
    assert "AM103" not in checked.stdout, checked.stdout


def test_for_cursor_rule_keeps_the_globs_on_their_line() -> None:
    result = run_cli("consolidate", "--for", "cursor-rule", *map(str, SQL_GROUP))
    assert result.exit_code == 0, result.stderr
    assert '\nglobs: ["**/*.sql", "migrations/**"]\n' in result.stdout


def test_for_names_a_required_key_no_input_gave(tmp_path: Path) -> None:
    """Cursor rules have no name; a Claude Code subagent must have one. Written to standard output,
    nothing names the agent, and nothing is made up: the user is told."""
    rule = "---\ndescription: SQL review\nglobs: **/*.sql\n---\n\n- Flag N+1 queries in loops.\n"
    (tmp_path / "a.mdc").write_text(rule, encoding="utf-8")
    (tmp_path / "b.mdc").write_text(rule.replace("SQL review", "Review SQL"), encoding="utf-8")
    result = run_cli("consolidate", "--for", "claude-code", "a.mdc", "b.mdc", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "line 1: 'name' is missing; a Claude Code subagent requires it (AM102)" in result.stderr
    assert "globs (a.mdc, b.mdc) is left out" in result.stderr
    assert result.stdout.startswith("---\ndescription:")


def test_for_names_an_agent_no_input_names_as_its_file_is(tmp_path: Path) -> None:
    """Written to a file, the subagent that Cursor rules make is named as the file is (by the
    format's naming rule): Claude Code loads it, check finds nothing, and stderr and the report
    say where the name came from (it has no input source)."""
    rule = "---\ndescription: SQL review\nglobs: **/*.sql\n---\n\n- Flag N+1 queries in loops.\n"
    (tmp_path / "a.mdc").write_text(rule, encoding="utf-8")
    (tmp_path / "b.mdc").write_text(rule.replace("SQL review", "Review SQL"), encoding="utf-8")
    out = tmp_path / ".claude" / "agents" / "SQL Reviewer.md"
    out.parent.mkdir(parents=True)
    args = ("consolidate", "--for", "claude-code", "a.mdc", "b.mdc", "-o", str(out), "--report", "r.json")
    result = run_cli(*args, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith("---\nname: sql-reviewer\ndescription:")
    assert "AM102" not in result.stderr
    assert (
        "warning: name: no input names the agent, which a Claude Code subagent requires; it is named "
        "'sql-reviewer', as its file is (named_after in the report)" in result.stderr
    )
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["named_after"] == "SQL Reviewer"
    assert report["fields"][0] == {"key": "name", "value": "sql-reviewer", "sources": [], "conflict": False}
    assert report["summary"]["items_out"] == 3  # the name, the description, the bullet
    assert run_cli("check", str(out)).exit_code == 0
    # Consolidated again, the file's own name is its input's: nothing is named after the file.
    again = run_cli("consolidate", "--for", "claude-code", str(out), "--format", "json")
    assert json.loads(again.stdout)["named_after"] is None


def test_by_group_for_claude_code_names_a_group_no_member_names_after_its_file(tmp_path: Path) -> None:
    """Cursor rules of one job, merged by group into Claude Code subagents: each is named as the
    file its group gets, so Claude Code loads it."""
    rules = tmp_path / "rules"
    rules.mkdir()
    for name in ("database-review.mdc", "rest-docs.mdc"):
        text = (LIBRARY / ".cursor" / "rules" / name).read_text(encoding="utf-8")
        (rules / name).write_text(text, encoding="utf-8")
        copy = text.replace("\n- ", "\n- Always: ", 1)
        (rules / name.replace(".mdc", "-copy.mdc")).write_text(copy, encoding="utf-8")
    result = run_cli("consolidate", "--by-group", "--for", "claude-code", "-o", "out", "rules", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    written = sorted((tmp_path / "out").iterdir())
    assert len(written) == 2
    for path in written:
        assert read_agent(str(path)).field("name").value == path.name.removesuffix(".md")
        assert run_cli("check", "--select", "AM1", str(path)).exit_code == 0
    assert result.stderr.count("no input names the agent, which a Claude Code subagent requires") == 2


def test_for_names_an_agent_after_its_file_only_when_no_input_names_it(tmp_path: Path) -> None:
    """An input's name is kept however the file is called; a format that needs no name gets none;
    a JSON report (``--format json -o``) is no agent file to be named after."""
    agents = [parse_text(UNRELATED["angularjs-expert.md"], "angularjs-expert.md")]
    named = consolidate(agents, target="claude-code", file_name="legacy-frontend")
    assert named.agent.field("name").value == "angularjs-expert" and named.named_after is None
    text = "---\ndescription: SQL review\n---\n\n- Flag N+1 queries in loops.\n"
    rule = parse_text(text, "a.mdc")
    assert consolidate([rule], target="claude-code", file_name="Query Checks").agent.field("name").value == (
        "query-checks"
    )
    assert consolidate([rule], target="cursor-rule", file_name="query-checks").agent.field("name") is None
    assert consolidate([rule], target="claude-code").agent.field("name") is None
    (tmp_path / "a.mdc").write_text(text, encoding="utf-8")
    result = run_cli("consolidate", "--for", "claude-code", "a.mdc", "--format", "json", "-o", "r.json", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["named_after"] is None


def test_a_tie_of_names_goes_to_the_one_the_output_file_is_named_after(tmp_path: Path) -> None:
    """Two inputs, two names, one vote each: the agent is called as the file -o writes, as
    --by-group calls each agent after its group's file."""
    body = "\n\n- Flag N+1 queries in loops.\n"
    (tmp_path / "a.md").write_text("---\nname: query-checker\ndescription: SQL review\n---" + body, encoding="utf-8")
    (tmp_path / "b.md").write_text("---\nname: sql-reviewer\ndescription: SQL review\n---" + body, encoding="utf-8")
    for name, chosen in (("sql-reviewer.md", "sql-reviewer"), ("query-checker.md", "query-checker")):
        result = run_cli("consolidate", "a.md", "b.md", "-o", name, "--report", "r.json", cwd=tmp_path)
        assert result.exit_code == 0, result.stderr
        assert read_agent(str(tmp_path / name)).field("name").value == chosen
        (conflict,) = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["conflicts"]
        assert f"the one the file is named after ({chosen}) decides" in conflict["why"]
        # The inputs in the other order, to a file of the same name: the same bytes.
        (tmp_path / "again").mkdir(exist_ok=True)
        again = run_cli("consolidate", "b.md", "a.md", "-o", f"again/{name}", cwd=tmp_path)
        assert again.exit_code == 0, again.stderr
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / name).read_bytes()


def test_for_names_a_value_the_tool_does_not_take(tmp_path: Path) -> None:
    """A Copilot agent's model is no Claude Code subagent model, and no input gives one that is:
    it is written as it is, and check's rule says so."""
    agent = "---\nname: sql-reviewer\ndescription: Reviews SQL\nmodel: GPT-5\n---\n\n- Flag N+1 queries in loops.\n"
    (tmp_path / "a.agent.md").write_text(agent, encoding="utf-8")
    result = run_cli("consolidate", "--for", "claude-code", "a.agent.md", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "line 4: model 'GPT-5' is not one a Claude Code subagent accepts" in result.stderr
    assert "(AM105)" in result.stderr and "model: GPT-5\n" in result.stdout


def test_for_claude_code_writes_copilots_tool_aliases_as_claude_codes_tools(tmp_path: Path) -> None:
    """Copilot's ``search`` means Grep and Glob to Claude Code, which knows no tool called search:
    the merged subagent names the tools Claude Code has, the report and stderr say so, and no
    tool is called a widening for being renamed. The written file passes check's AM114."""
    agent = "---\nname: sql\ndescription: Reviews SQL\ntools: {tools}\n---\n\n- Flag N+1 queries.\n"
    (tmp_path / "a.agent.md").write_text(agent.format(tools="[read, search, 'github/*']"), encoding="utf-8")
    (tmp_path / "b.md").write_text(agent.format(tools="Read, Grep, WebFetch"), encoding="utf-8")
    out, report = tmp_path / "sql.md", tmp_path / "sql.json"
    args = ("consolidate", "--for", "claude-code", "a.agent.md", "b.md", "-o", str(out), "--report", str(report))
    result = run_cli(*args, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "tools:\n- Read\n- Grep\n- Glob\n- mcp__github\n- WebFetch\n" in out.read_text(encoding="utf-8")
    assert json.loads(report.read_text(encoding="utf-8"))["renamed"] == [
        {"key": "tools", "name": "read", "written": ["Read"]},
        {"key": "tools", "name": "search", "written": ["Grep", "Glob"]},
        {"key": "tools", "name": "github/*", "written": ["mcp__github"]},
    ]
    assert "tools: search is written as Grep, Glob, what a Claude Code subagent calls those tools" in result.stderr
    widened = [line for line in result.stderr.splitlines() if "widening" in line]
    assert widened == [
        "agentmerge: warning: widening: the merged agent has tool WebFetch (tools) that a.agent.md did not",
        "agentmerge: warning: widening: the merged agent has tools Glob, mcp__github (tools) that b.md did not",
    ]
    assert run_cli("check", "--select", "AM114", str(out)).exit_code == 0
    plain = run_cli("consolidate", "a.agent.md", "--format", "json", cwd=tmp_path)
    assert "renamed" not in json.loads(plain.stdout)  # without --for every input's names stay


def test_for_copilot_writes_claude_codes_mcp_tool_names_as_copilots(tmp_path: Path) -> None:
    """A Copilot agent names an MCP server's tools ``server/tool`` and ``server/*``; Claude Code's
    ``mcp__server__tool`` names no tool there (it reads Claude Code's names of built-in tools
    only), so the merged agent for Copilot writes Copilot's names, and compares by them."""
    agent = "---\nname: db\ndescription: Database help\ntools: {tools}\n---\n\n- {item}\n"
    (tmp_path / "a.md").write_text(agent.format(tools="Read, mcp__db, mcp__github__get_issue", item="Read first."))
    (tmp_path / "b.md").write_text(agent.format(tools="Read, mcp__db__*", item="Explain each query."))
    result = run_cli("consolidate", "--for", "copilot-agent", "a.md", "b.md", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert parse_text(result.stdout, "m.agent.md").field("tools").value == "Read, db/*, github/get_issue"
    assert "tools: mcp__db is written as db/*, what a GitHub Copilot custom agent calls those tools\n" in result.stderr
    assert "calls that tool\n" in result.stderr.split("mcp__github__get_issue is written as github/get_issue")[1]
    widened = [line for line in result.stderr.splitlines() if "widening" in line]
    assert widened == [
        "agentmerge: warning: widening: the merged agent has tool github/get_issue (tools) that b.md did not"
    ]


def test_for_claude_code_writes_copilots_every_tool_as_no_tools_key(tmp_path: Path) -> None:
    """Copilot's ``tools: ["*"]`` is every tool; Claude Code knows no tool called ``*``, and a
    subagent with ``tools: ["*", Read, Grep, Glob]`` would be allowed the three alone. With no
    ``tools`` key a subagent inherits every tool: the merged subagent has none, the report lists
    the rename, stderr says why, and the widening over the input that listed two tools is named."""
    agent = "---\nname: sql\ndescription: Reviews SQL\ntools: {tools}\n---\n\n- Flag N+1 queries.\n"
    (tmp_path / "a.agent.md").write_text(agent.format(tools="['*']"), encoding="utf-8")
    (tmp_path / "b.agent.md").write_text(agent.format(tools="[read, search]"), encoding="utf-8")
    out, report = tmp_path / "sql.md", tmp_path / "sql.json"
    args = ("consolidate", "--for", "claude-code", "a.agent.md", "b.agent.md", "-o", str(out), "--report", str(report))
    result = run_cli(*args, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith("---\nname: sql\ndescription: Reviews SQL\n---\n")
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["renamed"] == [{"key": "tools", "name": "*", "written": []}]
    assert [c["key"] for c in written["conflicts"]] == [] and written["summary"]["items_out"] == 3
    assert "tools: * (every tool) is written as no tools key, which a Claude Code subagent reads as every tool" in (
        result.stderr
    )
    assert "b.agent.md allowed only read, search" in result.stderr
    assert run_cli("check", str(out)).exit_code == 0


def test_for_claude_code_writes_vscodes_tool_names_as_claude_codes_tools(tmp_path: Path) -> None:
    """A Copilot agent names VS Code's tools (``codebase``, ``edit/editFiles``, the old set
    ``runCommands``): the subagent gets Claude Code's names for them; a VS Code tool Claude Code
    has no counterpart of stays as written, and the output's check finding says so."""
    agent = "---\nname: sql\ndescription: Reviews SQL\ntools: {tools}\n---\n\n- Flag N+1 queries.\n"
    tools = "['codebase', 'edit/editFiles', 'runCommands', 'read/problems']"
    (tmp_path / "a.agent.md").write_text(agent.format(tools=tools), encoding="utf-8")
    out = tmp_path / "sql.md"
    result = run_cli("consolidate", "--for", "claude-code", "a.agent.md", "-o", str(out), cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "tools:\n- Grep\n- Glob\n- Edit\n- Bash\n- read/problems\n" in out.read_text(encoding="utf-8")
    assert "tools: edit/editFiles is written as Edit, what a Claude Code subagent calls that tool" in result.stderr
    unknown = "tools names 'read/problems', which a Claude Code subagent does not know; it has no such tool"
    assert unknown in result.stderr
    assert "widening" not in result.stderr


def test_a_target_takes_the_value_its_tool_accepts_over_a_tie(tmp_path: Path) -> None:
    """Two inputs, one value each: the first in path order wins a tie, unless the target's tool
    does not take it (a Copilot display name and model as a Claude Code subagent's); then the
    value it takes wins, and the report says why. Without a target nothing changes."""
    (tmp_path / "a.agent.md").write_text(
        "---\nname: Code Reviewer\ndescription: Reviews code\nmodel: GPT-5\n---\n\n- Read the diff.\n", "utf-8"
    )
    (tmp_path / "b.md").write_text(
        "---\nname: code-reviewer\ndescription: Reviews code\nmodel: sonnet\n---\n\n- Read the diff.\n", "utf-8"
    )

    def chosen(*target: str) -> dict[str, tuple[str, str]]:
        done = run_cli("consolidate", *target, "a.agent.md", "b.md", "--format", "json", cwd=tmp_path)
        assert done.exit_code == 0, done.stderr
        return {c["key"]: (c["chosen"], c["why"]) for c in json.loads(done.stdout)["conflicts"]}

    plain = chosen()
    assert plain["name"][0] == "Code Reviewer" and plain["model"][0] == "GPT-5"
    assert chosen("--for", "copilot-agent") == plain
    claude = chosen("--for", "claude-code")
    assert claude["name"][0] == "code-reviewer" and claude["model"][0] == "sonnet"
    assert chosen("--for", "claude-code", "--prefer", "a.agent.md")["model"][0] == "sonnet"  # even over --prefer
    assert claude["model"][1].startswith("a Claude Code subagent does not take 'GPT-5'; 1 of 2 inputs")
    out = tmp_path / "code-reviewer.md"
    assert (
        run_cli("consolidate", "--for", "claude-code", "a.agent.md", "b.md", "-o", str(out), cwd=tmp_path).exit_code
        == 0
    )
    assert run_cli("check", "--select", "AM105,AM106", str(out)).exit_code == 0


def test_by_group_calls_each_agent_as_its_file_is_named_when_names_tie(tmp_path: Path) -> None:
    """Three inputs, three names, one each: the tie went to the first path (``python-expert``)
    while the file took the group's name (``python-pro``). A tie now goes to the name the file
    takes, and the report says so; a majority still wins."""
    body = "\n\n- Write type hints.\n- Test with pytest.\n- Prefer the standard library.\n"
    names = {"a.md": "python-expert", "b.md": "python-helper", "c.md": "python-pro"}
    for file, name in names.items():
        (tmp_path / "in" / ".claude" / "agents").mkdir(parents=True, exist_ok=True)
        text = f"---\nname: {name}\ndescription: Writes Python\n---{body}"
        (tmp_path / "in" / ".claude" / "agents" / file).write_text(text, encoding="utf-8")
    out, reports = tmp_path / "out", tmp_path / "reports"
    done = run_cli("consolidate", "--by-group", "-o", str(out), "--report", str(reports), str(tmp_path / "in"))
    assert done.exit_code == 0, done.stderr
    assert [p.name for p in out.iterdir()] == ["python-pro.md"]
    assert read_agent(out / "python-pro.md").field("name").value == "python-pro"  # type: ignore[union-attr]
    conflict = json.loads((reports / "python-pro.json").read_text(encoding="utf-8"))["conflicts"][0]
    assert conflict["chosen"] == "python-pro" and "the one the file is named after (python-pro)" in conflict["why"]
    assert (
        consolidate([read_agent(tmp_path / "in" / ".claude" / "agents" / f) for f in names]).agent.field("name").value
        == "python-expert"
    )  # type: ignore[union-attr]


def test_a_name_the_target_refuses_is_written_by_its_naming_rule(tmp_path: Path) -> None:
    """A Copilot agent's display name, which a Claude Code subagent cannot be called by, is
    written as the subagent's naming rule writes it (what ``check`` AM106 suggests), named on
    stderr and in the report's ``renamed``; a name with nothing the rule keeps stays as it is."""
    agent = "---\nname: {name}\ndescription: Reviews code\n---\n\n- Read the diff.\n"
    (tmp_path / "a.agent.md").write_text(agent.format(name="'Code Reviewer (v2)'"), encoding="utf-8")
    out = tmp_path / "code-reviewer-v2.md"
    done = run_cli("consolidate", "--for", "claude-code", "a.agent.md", "-o", str(out), cwd=tmp_path)
    assert done.exit_code == 0, done.stderr
    assert out.read_text(encoding="utf-8").startswith("---\nname: code-reviewer-v2\n")
    assert "name: 'Code Reviewer (v2)' is written as 'code-reviewer-v2', as a Claude Code subagent" in done.stderr
    assert run_cli("check", str(out)).exit_code == 0
    report = run_cli("consolidate", "--for", "claude-code", "a.agent.md", "--format", "json", cwd=tmp_path)
    assert {"key": "name", "name": "Code Reviewer (v2)", "written": ["code-reviewer-v2"]} in json.loads(report.stdout)[
        "renamed"
    ]
    plain = run_cli("consolidate", "--for", "copilot-agent", "a.agent.md", cwd=tmp_path)
    assert "name: Code Reviewer (v2)\n" in plain.stdout  # a Copilot agent's name has no rule
    (tmp_path / "a.agent.md").write_text(agent.format(name="'!!'"), encoding="utf-8")
    kept = run_cli("consolidate", "--for", "claude-code", "a.agent.md", cwd=tmp_path)
    assert "name: '!!'\n" in kept.stdout and "AM106" in kept.stderr


@pytest.mark.parametrize("target", ["copilot-agent", "copilot-chatmode", "copilot-prompt"])
def test_a_file_vscode_reads_gets_its_tools_names_now(tmp_path: Path, target: str) -> None:
    """VS Code's old names (``codebase``, the removed set ``runCommands``) are written as VS Code
    names those tools now, as ``check --fix`` would write them, each named on stderr and in the
    report; a name the list gives already is not written twice; Claude Code's name of an MCP tool
    is written as VS Code's. The file then passes ``check``."""
    agent = "---\nname: sql\ndescription: Reviews SQL\ntools: {tools}\n---\n\n- Flag N+1 queries.\n"
    tools = "['codebase', 'search/codebase', 'runCommands', 'Read', 'mcp__db__query']"
    (tmp_path / "a.agent.md").write_text(agent.format(tools=tools), encoding="utf-8")
    out = tmp_path / f"sql{BY_NAME[target].globs[0].removeprefix('*')}"
    result = run_cli("consolidate", "--for", target, "a.agent.md", "-o", str(out), cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    written = out.read_text(encoding="utf-8")
    now = ", ".join(removed_set("runCommands") or ())
    assert written.count("search/codebase") == 1 and "- codebase\n" not in written and "runCommands" not in written
    assert now and all(f"- {tool}\n" in written for tool in now.split(", "))
    assert "- Read\n" in written and "- db/query\n" in written and "mcp__" not in written
    assert "tools: mcp__db__query is written as db/query" in result.stderr
    assert "tools: codebase is written as search/codebase" in result.stderr
    assert f"tools: runCommands is written as {now}" in result.stderr
    assert run_cli("check", str(out)).exit_code == 0
    report = run_cli("consolidate", "--for", target, "a.agent.md", "--format", "json", cwd=tmp_path)
    renamed = json.loads(report.stdout)["renamed"]
    assert {"key": "tools", "name": "codebase", "written": ["search/codebase"]} in renamed


def test_copilot_agents_merge_two_spellings_of_one_tool_into_one(tmp_path: Path) -> None:
    """Copilot reads ``Grep`` as its ``search`` and VS Code reads ``codebase`` as
    ``search/codebase``: merged Copilot agents list each tool once, as the first input (in path
    order) that lists it names it, and no input is widened by the other's spelling. Claude Code
    subagents' names stay apart."""
    agent = "---\nname: sql\ndescription: Reviews SQL\ntools: {tools}\n---\n\n- Flag N+1 queries.\n"
    for name, tools in (("a", "[Grep, Read, codebase]"), ("b", "[search, read, search/codebase, execute]")):
        (tmp_path / f"{name}.agent.md").write_text(agent.format(tools=tools), encoding="utf-8")
        (tmp_path / f"{name}.md").write_text(agent.format(tools=tools), encoding="utf-8")
    result = run_cli("consolidate", "a.agent.md", "b.agent.md", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "tools:\n- Grep\n- Read\n- codebase\n- execute\n---" in result.stdout
    widened = [line for line in result.stderr.splitlines() if "widening" in line]
    assert widened == [
        "agentmerge: warning: widening: the merged agent has tool execute (tools) that a.agent.md did not"
    ]
    plain = run_cli("consolidate", "a.md", "b.md", cwd=tmp_path)
    assert "- Grep\n- Read\n- codebase\n- search\n- read\n- search/codebase\n- execute\n" in plain.stdout
    # One input's own names all stay, though Copilot reads Grep and Glob as one.
    (tmp_path / "c.agent.md").write_text(agent.format(tools="[search]"), encoding="utf-8")
    (tmp_path / "d.agent.md").write_text(agent.format(tools="[Read, Grep, Glob]"), encoding="utf-8")
    both = run_cli("consolidate", "c.agent.md", "d.agent.md", cwd=tmp_path)
    assert "tools:\n- search\n- Read\n---" in both.stdout
    (tmp_path / "c.agent.md").rename(tmp_path / "e.agent.md")
    both = run_cli("consolidate", "d.agent.md", "e.agent.md", cwd=tmp_path)
    assert "tools:\n- Read\n- Grep\n- Glob\n---" in both.stdout


def test_for_says_when_the_output_file_is_not_one_the_tool_reads(tmp_path: Path) -> None:
    """Cursor reads rules from .mdc files only: the file is written, and the user told."""
    for name, warned in (("rule.md", True), ("rule.mdc", False)):
        result = run_cli("consolidate", "--for", "cursor-rule", "-o", str(tmp_path / name), *map(str, SQL_GROUP))
        assert result.exit_code == 0, result.stderr
        assert ("a Cursor rule is read from a file ending .mdc" in result.stderr) is warned
        assert (tmp_path / name).is_file()


def test_for_takes_only_the_formats_it_can_write(tmp_path: Path) -> None:
    result = run_cli("consolidate", "--for", "agents-folder", *map(str, SQL_GROUP))
    assert result.exit_code == 2
    assert "'agents-folder' is not one of" in result.stderr
    help_text = " ".join(run_cli("consolidate", "--help").stdout.split())
    for name in TARGETS:  # the option's help names every format it takes (formats.TARGETS)
        assert name.replace("-", "- ") in help_text or name in help_text
    with pytest.raises(AgentMergeError, match="--for takes one of"):
        consolidate([read_agent(str(p)) for p in SQL_GROUP], target="cursor")


def test_for_with_by_group_writes_every_group_with_that_formats_ending(tmp_path: Path) -> None:
    out = tmp_path / "merged"
    result = run_cli("consolidate", "--by-group", "--for", "cursor-rule", "-o", str(out), str(LIBRARY))
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names and all(name.endswith(".mdc") for name in names)
    assert "is left out: a Cursor rule does not read it" in result.stderr
    for path in out.iterdir():
        assert {f.key for f in read_agent(str(path)).fields} <= {"description", "globs", "alwaysApply"}


def test_without_for_a_merge_across_tools_suggests_it(tmp_path: Path) -> None:
    """Files of several tools merged without --for keep every key, which no one tool reads: the
    user is told which --for writes one tool's file. An output named as one tool's file (a
    Cursor rule in ``.mdc``) names that one. One tool's files written to a plain path: nothing."""
    note = "agentmerge: note: "
    mixed = run_cli("consolidate", *map(str, SQL_GROUP))
    assert mixed.exit_code == 0, mixed.stderr
    [line] = [line for line in mixed.stderr.splitlines() if line.startswith(note)]
    assert "files of 3 tools: Claude Code subagent (1), GitHub Copilot custom agent (1), Cursor rule (1)" in line
    assert line.endswith("--for claude-code or --for copilot-agent or --for cursor-rule writes one tool's file")
    named = run_cli("consolidate", "-o", str(tmp_path / "r.mdc"), *map(str, SQL_GROUP[:2]))
    assert named.exit_code == 0, named.stderr
    assert f"{tmp_path / 'r.mdc'} is a Cursor rule by its name: --for cursor-rule writes only" in named.stderr
    claude = [str(p) for p in SEEDS]
    ported = run_cli("consolidate", "-o", str(tmp_path / "b.agent.md"), *claude)
    assert "the inputs are Claude Code subagent (4); " in ported.stderr
    assert "--for copilot-agent writes only the keys it reads" in ported.stderr
    for quiet in (
        run_cli("consolidate", "-o", str(tmp_path / "b.md"), *claude),
        run_cli("consolidate", "--for", "claude-code", *map(str, SQL_GROUP)),
        run_cli("consolidate", "-o", str(tmp_path / "again.mdc"), str(SQL_GROUP[1]), str(SQL_GROUP[1])),
    ):
        assert quiet.exit_code == 0, quiet.stderr
        assert note not in quiet.stderr


def test_by_group_without_for_names_the_groups_that_join_several_tools(tmp_path: Path) -> None:
    mixed = run_cli("consolidate", "--by-group", "-o", str(tmp_path / "a"), str(LIBRARY))
    assert mixed.exit_code == 0, mixed.stderr
    [line] = [line for line in mixed.stderr.splitlines() if line.startswith("agentmerge: note: ")]
    assert re.search(r"(\b1 merged agent joins|merged agents join) files of several tools \(", line)
    assert "sql-reviewer.md" in line
    assert line.endswith("writes every group as one tool's file")
    chosen = run_cli("consolidate", "--by-group", "--for", "cursor-rule", "-o", str(tmp_path / "b"), str(LIBRARY))
    assert chosen.exit_code == 0, chosen.stderr
    assert "agentmerge: note: " not in chosen.stderr


def test_without_for_a_merge_across_tools_keeps_every_key() -> None:
    result = run_cli("consolidate", "--format", "json", *map(str, SQL_GROUP))
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert "for" not in data and "left_out" not in data
    assert {f["key"] for f in data["fields"]} == {"name", "description", "tools", "model", "globs", "alwaysApply"}


def test_steps_put_in_another_order_are_named(tmp_path: Path) -> None:
    """One input tests first and the other implements first: the merged workflow follows one of
    them, and the warning names the other. Numbered best practices in two orders say nothing."""
    head = "---\nname: {0}\ndescription: Feature workflow.\n---\n\n"
    steps = ["Read the ticket", "Write a failing test", "Implement the change", "Open a pull request"]
    practices = ["Keep functions small", "Name things for what they do", "Delete dead code"]
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    for path, order in ((a, [0, 1, 2, 3]), (b, [0, 2, 1, 3])):
        body = "## Workflow\n\n" + "".join(f"{n}. {steps[i]}\n" for n, i in enumerate(order, 1))
        kept = practices if path is a else practices[::-1]
        body += "\n## Best Practices\n\n" + "".join(f"{n}. {p}\n" for n, p in enumerate(kept, 1))
        path.write_text(head.format(path.stem) + body, encoding="utf-8")
    result = run_cli("consolidate", str(a), str(b))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "order:" in line]
    assert warnings == [
        'agentmerge: warning: order: under "Workflow" the merged steps put "Write a failing test" before '
        f'"Implement the change"; {b} had them the other way round'
    ]
    assert result.stdout.index("Write a failing test") < result.stdout.index("Implement the change")


def test_variants_of_one_named_agent_are_one_role(tmp_path: Path) -> None:
    """Inputs that all give one name declare one agent: they are merged without --mixed, even when
    their words have little in common."""
    paths = write_unrelated(tmp_path)[:2]
    for path in paths:
        text = path.read_text(encoding="utf-8").replace("name: angularjs-expert", "name: helper")
        path.write_text(text.replace("name: Imaging Analyst", "name: helper"), encoding="utf-8")
    agents = [read_agent(str(p)) for p in paths]
    assert count_groups(agents, min_similarity=MIXED_SIMILARITY, corpus_background=True) == 2
    result = run_cli("consolidate", *map(str, paths))
    assert result.exit_code == 0, result.output


def test_a_group_too_large_to_weigh_is_named_in_the_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """--by-group: a group refused as a whole (past the scorer's MAX_PAIRS) is named with its
    first files, since the error itself names none; nothing is written."""
    import agentmerge.scorer

    monkeypatch.setattr(agentmerge.scorer, "MAX_PAIRS", 100)
    out = tmp_path / "out"
    code, _, err = run_cli("consolidate", "--by-group", "-o", str(out), *map(str, SEEDS))
    assert code == 2 and err.count("\n") == 1
    assert "error: the group backend-engineer (" in err and " and 1 more): " in err
    assert "share so many words" in err
    assert not out.exists()


def test_a_key_the_target_does_not_read_widens_nothing_and_names_no_report_not_asked_for(tmp_path: Path) -> None:
    """For a Cursor rule the seeds' `model` is left out, so it is no widening (it was called one:
    "model is (not set) in the merged agent"); the left-out note points at the report only when
    one is written."""
    plain = run_cli("consolidate", "--for", "cursor-rule", *map(str, SEEDS))
    assert plain.exit_code == 0
    assert "widening: model" not in plain.stderr and "widening: skills" not in plain.stderr
    assert "model (" in plain.stderr and "is left out: a Cursor rule does not read it\n" in plain.stderr
    assert "lists it under" not in plain.stderr
    reported = run_cli("consolidate", "--for", "cursor-rule", "--report", str(tmp_path / "r.json"), *map(str, SEEDS))
    assert "does not read it (the report lists it under left_out)" in reported.stderr
    assert "widening: model is inherit" in run_cli("consolidate", *map(str, SEEDS)).stderr


def test_mcp_servers_left_out_for_another_tool_name_the_key_that_tool_keeps_them_under(tmp_path: Path) -> None:
    """A Copilot agent's `mcp-servers` written for Claude Code was said to be something "a Claude
    Code subagent does not read", though it reads MCP servers, as `mcpServers` in its own server
    format: the note says so. A chat mode, which documents neither key, does not read it."""
    server = "mcp-servers:\n  db:\n    type: local\n    command: db-mcp\n    tools: ['*']\n"
    a, b = tmp_path / "a.agent.md", tmp_path / "b.agent.md"
    a.write_text(f"---\nname: db\ndescription: Database help.\n{server}---\n- Read the schema first.\n")
    b.write_text("---\nname: db\ndescription: Database help.\n---\n- Explain each query.\n")
    claude = run_cli("consolidate", "--for", "claude-code", str(a), str(b))
    assert claude.exit_code == 0, claude.stderr
    assert "mcp-servers" not in claude.stdout and "mcpServers" not in claude.stdout
    assert (
        f"mcp-servers ({a}) is left out: a Claude Code subagent reads MCP servers as mcpServers, in its own "
        "format: write them there by hand\n" in claude.stderr
    )
    # The servers' tools, named as Copilot names them, are written as a subagent names them.
    a.write_text(
        a.read_text().replace("description: Database help.\n", "description: Database help.\ntools: [read, db/*]\n")
    )
    named = run_cli("consolidate", "--for", "claude-code", str(a), str(b))
    assert named.exit_code == 0, named.stderr
    assert parse_text(named.stdout, "m.md").field("tools").value == ["Read", "mcp__db"]
    assert "tools: db/* is written as mcp__db, what a Claude Code subagent calls those tools\n" in named.stderr
    chatmode = run_cli("consolidate", "--for", "copilot-chatmode", str(a), str(b))
    assert f"mcp-servers ({a}) is left out: a GitHub Copilot chat mode does not read it\n" in chatmode.stderr
    assert BY_NAME["copilot-agent"].counterpart("mcpServers") == ("mcp-servers", "MCP servers")
    assert BY_NAME["cursor-rule"].counterpart("mcpServers") is None


def test_a_fields_kept_source_is_the_input_whose_value_is_written(tmp_path: Path) -> None:
    """The first input in path order was marked kept whatever value was written: `name` kept
    "code-reviewer-pro" while two inputs' "code-reviewer" was written, `model` kept "haiku"
    where "opus" was."""
    body = "\n\nYou review code.\n\n- Read the diff first.\n"
    for name, value, model in (
        ("a", "code-reviewer-pro", "haiku"),
        ("b", "code-reviewer", "opus"),
        ("c", "code-reviewer", "opus"),
    ):
        (tmp_path / f"{name}.md").write_text(
            f"---\nname: {value}\ndescription: Reviews code.\nmodel: {model}\n---{body}", encoding="utf-8"
        )
    result = run_cli("consolidate", "--format", "json", "a.md", "b.md", "c.md", cwd=tmp_path)
    fields = {f["key"]: f for f in json.loads(result.stdout)["fields"]}
    for key, written in (("name", "code-reviewer"), ("model", "opus")):
        assert fields[key]["value"] == written
        sources = fields[key]["sources"]
        assert sources[0] == {**sources[0], "path": "b.md", "text": written, "kept": True}
        assert [s["path"] for s in sources] == ["b.md", "a.md", "c.md"]
        assert not any(s.get("kept") for s in sources[1:])


def test_for_a_format_with_a_length_limit_a_merged_body_past_it_is_named(tmp_path: Path) -> None:
    """Copilot reads at most 30,000 characters of an agent's body: a merged agent past it was
    written without a word (check AM206 found it after)."""
    limit = BY_NAME["copilot-agent"].body_limit
    for name in ("a", "b"):
        bullets = "".join(f"- Check rule {name}{n} of the {name} handbook before approving.\n" for n in range(400))
        (tmp_path / f"{name}.md").write_text(f"---\ndescription: Reviews.\n---\n\n{bullets}", encoding="utf-8")
    result = run_cli("consolidate", "--for", "copilot-agent", "a.md", "b.md", cwd=tmp_path)
    assert len(result.stdout) > limit
    assert f"may have at most {limit:,} (AM206)" in result.stderr


def test_a_step_that_folded_in_a_restatement_is_no_order_difference() -> None:
    """ "Implement" (line 196) had absorbed the same input's capability bullet at line 19, so the
    input seemed to put it before "Verify" (line 195): a warning that it had them the other way
    round, where it had them in the merged order."""
    from dataclasses import replace

    from agentmerge.arrange import MergedItem, MergedSection, Source
    from agentmerge.library import order_differences
    from agentmerge.model import Item, Section

    def step(text: str, *lines: tuple[str, int]) -> MergedItem:
        sources = tuple(Source(path, line, text, 1.0) for path, line in lines)
        return MergedItem(Item(kind="ordered", text=text, line=1, end_line=1), len(lines), sources)

    verify = step("Verify the test fails", ("a.md", 195), ("b.md", 10))
    implement = step("Implement minimal code", ("a.md", 196), ("a.md", 19), ("b.md", 11))
    workflow = MergedSection(Section("Workflow", 2, 1, 3, "heading"), "workflow", (), (verify, implement))
    root = MergedSection(Section(None, 0, 1, 3, "root"), "intro", (), (), (workflow,))
    assert order_differences(root) == []
    swapped = replace(root, sections=(replace(workflow, items=(implement, verify)),))
    assert [line.split("; ")[1] for line in order_differences(swapped)] == ["b.md had them the other way round"]


def test_procedures_that_share_no_step_joined_end_to_end_are_named(tmp_path: Path) -> None:
    """Two workflows with no step in common became one list of six steps, the second input's
    first step after the first's last, without a word."""
    head = "---\nname: reviewer\ndescription: Reviews code.\n---\n\n## Workflow\n\n"
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text(head + "1. Read the diff\n2. Run the linters\n3. Write the review report\n", encoding="utf-8")
    b.write_text(
        head + "1. Ask the author what the change is for\n2. Check the migration plan\n3. Approve or block\n",
        encoding="utf-8",
    )
    result = run_cli("consolidate", "a.md", "b.md", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert (
        'agentmerge: warning: order: under "Workflow" the merged steps are 2 procedures that share no step, one '
        "after another: a.md's (steps 1-3), b.md's (steps 4-6); the merged agent follows them all in turn"
    ) in result.stderr


def test_procedures_that_share_some_steps_are_named_where_their_own_steps_meet(tmp_path: Path) -> None:
    """Two workflows shared their first and last steps and each had steps of its own between them:
    the merged list put one input's steps after the other's, an order neither input gives, without a
    word. A step one input adds between two it shares with another has its place and is not named."""
    head = "---\nname: releaser\ndescription: Cuts a release.\n---\n\n## Workflow\n\n"
    first, last = "Update the changelog for the release", "Tag the release commit and push the tag"
    (tmp_path / "a.md").write_text(
        head + f"1. {first}\n2. Bump the version in pyproject.toml\n3. Build the wheel\n4. {last}\n", encoding="utf-8"
    )
    (tmp_path / "b.md").write_text(
        head + f"1. {first}\n2. Run the full test suite on every supported Python\n3. {last}\n", encoding="utf-8"
    )
    (tmp_path / "c.md").write_text(head + f"1. {first}\n2. {last}\n", encoding="utf-8")
    result = run_cli("consolidate", "a.md", "b.md", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert (
        'agentmerge: warning: order: under "Workflow" the merged steps join 2 procedures that share steps 1, 5; the '
        "steps each has alone are put in an order no input gives against the others': a.md's (steps 2-3), b.md's "
        "(step 4); the merged agent follows them all"
    ) in result.stderr
    alone = run_cli("consolidate", "a.md", "c.md", cwd=tmp_path)
    assert alone.exit_code == 0, alone.stderr
    assert "order:" not in alone.stderr


def test_steps_written_as_numbered_headings_are_numbered_in_turn_and_named(tmp_path: Path) -> None:
    """Two workflows written as numbered headings ("### 1: Build the image") sharing one step were
    written one after the other with two "1:" and two "3:" headings, and no order warning: the
    same steps as numbered list items are renumbered and named. One input's numbers stay."""
    head = "---\nname: deployer\ndescription: Deploys services.\n---\n\n## Workflow\n\n"
    shared = "### 2: Run the tests\n\nRun the full suite against the image.\n\n"
    (tmp_path / "a.md").write_text(
        head + "### 1: Build the image\n\nBuild it from the lockfile.\n\n" + shared + "### 3: Deploy\n\nRoll out.\n",
        encoding="utf-8",
    )
    (tmp_path / "b.md").write_text(
        head + "### 1: Check the changelog\n\nName every change.\n\n" + shared + "### 3: Tag\n\nTag it.\n",
        encoding="utf-8",
    )
    (tmp_path / "c.md").write_text(head + "### Step 4: Build the image\n\nBuild it.\n", encoding="utf-8")
    result = run_cli("consolidate", "a.md", "b.md", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    headings = [line for line in result.stdout.splitlines() if line.startswith("### ")]
    assert headings == [
        "### 1: Build the image",
        "### 2: Check the changelog",
        "### 3: Run the tests",
        "### 4: Deploy",
        "### 5: Tag",
    ]
    assert (
        'agentmerge: warning: order: under "Workflow" the merged steps join 2 procedures that share step 3; the '
        "steps each has alone are put in an order no input gives against the others': a.md's (steps 1, 4), b.md's "
        "(steps 2, 5); the merged agent follows them all"
    ) in result.stderr
    alone = run_cli("consolidate", "c.md", cwd=tmp_path)
    assert "### Step 4: Build the image" in alone.stdout
    assert "order:" not in alone.stderr


def test_steps_a_title_calls_steps_are_a_procedure_in_any_section(tmp_path: Path) -> None:
    """ "## Step 1: ..." headings at the top of two inputs were joined end to end without a word:
    only a section of role workflow was read for procedures, and "Step" says what they are."""
    for name, steps in (
        ("a.md", ("Map the attack surface", "Check authentication")),
        ("b.md", ("Scan deps", "Check secrets")),
    ):
        body = "".join(f"## Step {n}: {step}\n\n{step} before the next step.\n\n" for n, step in enumerate(steps, 1))
        (tmp_path / name).write_text(f"---\nname: a\ndescription: Reviews.\n---\n\n{body}", encoding="utf-8")
    result = run_cli("consolidate", "a.md", "b.md", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if line.startswith("## ")] == [
        "## Step 1: Map the attack surface",
        "## Step 2: Check authentication",
        "## Step 3: Scan deps",
        "## Step 4: Check secrets",
    ]
    assert (
        'order: under "the top of the file" the merged steps are 2 procedures that share no step, one after '
        "another: a.md's (steps 1-2), b.md's (steps 3-4)"
    ) in result.stderr


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (["400: Bad Request", "404: Not Found"], ["401: Unauthorized", "404: Not Found"]),
        (["2023: Launch the beta", "2026: Go public"], ["2024: Grow the user base", "2026: Go public"]),
        (["2. Build the image", "4. Run the tests"], ["2. Build the image", "4. Run the tests"]),
        (["1. Pick a key", "2. Add it", "1. Check references", "2. Delete it"], ["1. Pick a key", "2. Add it"]),
        (["Step 1: Build the image", "Step 1.5: Scan it"], ["Step 1: Lint the code", "Step 2: Build the image"]),
    ],
    ids=["status-codes", "years", "gaps", "restart", "levels"],
)
def test_numbered_headings_that_do_not_count_steps_keep_their_numbers(
    tmp_path: Path, first: list[str], second: list[str]
) -> None:
    """Only steps each input counts 1, 2, 3 are numbered in turn and read as a procedure: status
    codes and years renumbered as steps ("402: Not Found", "2025: Go public"), a copy's gaps
    closed, one input's restart run on, a half step put after the next whole one changed what the
    titles say, and the order warning named as procedures what no input numbered as one."""
    head = "---\nname: a\ndescription: Does a job.\n---\n\n## Workflow\n\n"
    for name, titles in (("a.md", first), ("b.md", second)):
        body = "".join(f"### {title}\n\nAbout {title.split()[-1].lower()} here.\n\n" for title in titles)
        (tmp_path / name).write_text(head + body, encoding="utf-8")
    result = run_cli("consolidate", "a.md", "b.md", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    headings = {line[4:] for line in result.stdout.splitlines() if line.startswith("### ")}
    assert headings <= {*first, *second}
    assert "order:" not in result.stderr


def test_steps_whose_merged_title_lost_its_number_keep_their_numbers(tmp_path: Path) -> None:
    """A step titled by a third input that did not number it ("Build" over "2. Build") left the
    others numbered around it as if it were not a step: "1. Lint", "Build", "2. Deploy" where the
    input had "3. Deploy" after its step 2."""
    head = "---\nname: a\ndescription: Does a job.\n---\n\n## Workflow\n\n"
    for name, titles in (("a.md", ("1. Lint", "2. Build", "3. Deploy")), ("b.md", ("1. Test", "2. Release"))):
        body = "".join(f"### {title}\n\n{title.split()[1]} it now.\n\n" for title in titles)
        (tmp_path / name).write_text(head + body, encoding="utf-8")
    (tmp_path / "c.md").write_text(head + "### Build\n\nBuild it now.\n", encoding="utf-8")
    result = run_cli("consolidate", "a.md", "b.md", "c.md", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    headings = [line[4:] for line in result.stdout.splitlines() if line.startswith("### ")]
    assert headings == ["1. Lint", "Build", "3. Deploy", "1. Test", "2. Release"]
    assert "order:" not in result.stderr


def test_two_answer_templates_in_one_output_section_are_named(tmp_path: Path) -> None:
    """Each input told the agent to answer in its own template; the merged section held both,
    which an agent cannot follow at once, without a word."""
    head = "---\nname: reviewer\ndescription: Reviews code.\n---\n\n- Read the diff first.\n\n## Output Format\n\n"
    (tmp_path / "a.md").write_text(head + "```text\nSUMMARY: <one line>\nISSUES: <list>\n```\n", encoding="utf-8")
    (tmp_path / "b.md").write_text(head + "| File | Line | Problem |\n| --- | --- | --- |\n", encoding="utf-8")
    result = run_cli("consolidate", "a.md", "b.md", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert (
        'agentmerge: warning: format: under "Output Format" the merged agent holds the answer templates of a.md and '
        "b.md: each input asks for its own format, and an agent answers in one"
    ) in result.stderr
    one = run_cli("consolidate", "a.md", "a.md", cwd=tmp_path)
    assert "format:" not in one.stderr


def test_a_command_in_an_identity_paragraph_is_not_folded_away(tmp_path: Path) -> None:
    """Each input's "You are ..." paragraph is one slot, folded into one wording whatever else it
    says; a prohibition said there was lost with it. Now a paragraph with a command is the one
    kept, a description of the agent still folds into it, and when two inputs each command
    something the other lacks, both are written and consolidate says so."""
    head = "---\nname: rust-reviewer\ndescription: Reviews Rust code.\n---\n\n"
    write(
        tmp_path,
        "a.md",
        head + "You are a Rust reviewer focused on async services, embedded targets and FFI bindings.\n\n"
        "## Rules\n\n- Keep reviews short.\n",
    )
    write(
        tmp_path,
        "b.md",
        head + "You are a Rust reviewer. Never approve unsafe code without a SAFETY comment.\n\n"
        "## Rules\n\n- Ask one question when the goal is unclear.\n",
    )
    write(
        tmp_path,
        "c.md",
        head + "You are a Rust reviewer. Always run cargo clippy before approving.\n\n"
        "## Rules\n\n- Keep reviews short.\n",
    )
    result = run_cli("consolidate", "a.md", "b.md", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "You are a Rust reviewer. Never approve unsafe code without a SAFETY comment." in result.stdout
    assert result.stdout.count("You are") == 1 and "identity:" not in result.stderr
    result = run_cli("consolidate", "a.md", "b.md", "c.md", cwd=tmp_path)
    assert "Never approve unsafe code" in result.stdout and "Always run cargo clippy" in result.stdout
    assert result.stdout.count("You are") == 2
    assert (
        "agentmerge: warning: identity: the merged agent says who it is in the words of b.md and c.md: an agent"
        " is one role"
    ) in result.stderr


CONTRADICTING = {
    "a.md": "---\nname: deployer\ndescription: Deploys services.\n---\n\nYou deploy services.\n\n## Rules\n\n"
    "- When deploying to production, always run the database migrations first.\n"
    "- Prefer composition over inheritance.\n- Keep a changelog of every release.\n",
    "b.md": "---\nname: deployer\ndescription: Deploys services.\n---\n\nYou deploy services.\n\n## Rules\n\n"
    "- Prefer inheritance over composition.\n"
    "- When deploying to production, never run the database migrations first.\n"
    "- Avoid creating the client inside components \u2014 create it once at the app root.\n",
    "c.md": "---\nname: deployer\ndescription: Deploys services.\n---\n\nYou deploy services.\n\n## Rules\n\n"
    "- Create the client once at the app root \u2014 never inside a component.\n"
    "- Keep a changelog of every release.\n",
}


def test_two_inputs_that_contradict_each_other_are_both_kept_and_named(tmp_path: Path) -> None:
    """Opposite polarity never folds, and is reported as a contradiction: the merged agent holds
    "always run the migrations" and "never run" both, and consolidate names the pair on stderr
    and in the JSON report, with the rule that tells them apart. One rule said in two orders
    (c.md's client line and b.md's) is no contradiction."""
    for name, text in CONTRADICTING.items():
        write(tmp_path, name, text)
    result = run_cli("consolidate", "a.md", "b.md", "c.md", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "always run the database migrations" in result.stdout and "never run the database" in result.stdout
    assert "Prefer composition over inheritance" in result.stdout and "Prefer inheritance over" in result.stdout
    notes = [line for line in result.stderr.splitlines() if "contradiction:" in line]
    assert notes == [
        'agentmerge: warning: contradiction: a.md:10 says "When deploying to production, always run the database'
        ' migra\u2026" and b.md:11 "When deploying to production, never run the database migrat\u2026"; the merged'
        " agent holds both: keep the one you mean",
        'agentmerge: warning: contradiction: a.md:11 says "Prefer composition over inheritance." and b.md:10'
        ' "Prefer inheritance over composition."; the merged agent holds both: keep the one you mean',
    ]
    report = json.loads(run_cli("consolidate", "--format", "json", "c.md", "b.md", "a.md", cwd=tmp_path).stdout)
    assert report["summary"]["contradictions"] == 2
    assert [(c["rule"], [(i["path"], i["line"]) for i in c["items"]]) for c in report["contradictions"]] == [
        ("polarity", [("a.md", 10), ("b.md", 11)]),
        ("opposite sense", [("a.md", 11), ("b.md", 10)]),
    ]
    assert all(0.5 <= c["score"] <= 1.0 for c in report["contradictions"])
    agreeing = json.loads(run_cli("consolidate", "--format", "json", "b.md", "c.md", cwd=tmp_path).stdout)
    assert agreeing["contradictions"] == [] and agreeing["summary"]["contradictions"] == 0


def test_a_contradiction_within_one_input_is_left_to_check(tmp_path: Path) -> None:
    """consolidate names the pairs of two inputs; a file that contradicts itself is check's AM204
    (reported once, by the rule, not again for every merge it goes into)."""
    write(
        tmp_path,
        "a.md",
        CONTRADICTING["a.md"] + "- When deploying to production, never run the database migrations first.\n",
    )
    write(tmp_path, "c.md", CONTRADICTING["c.md"])
    result = run_cli("consolidate", "--format", "json", "a.md", "c.md", cwd=tmp_path)
    assert json.loads(result.stdout)["contradictions"] == [] and "contradiction" not in result.stderr
    assert "AM204" in run_cli("check", "--select", "AM204", "a.md", cwd=tmp_path).stdout


def test_by_group_names_the_contradictions_of_each_merged_agent(tmp_path: Path) -> None:
    for name, text in CONTRADICTING.items():
        write(tmp_path / "in", name, text)
    result = run_cli("consolidate", "--by-group", "-o", str(tmp_path / "out"), str(tmp_path / "in"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("contradiction:") == 2, result.stderr


def test_sections_of_one_role_align_by_role_alone_only_when_their_headings_name_it_and_hold_alike(
    tmp_path: Path,
) -> None:
    """Each input's one section of a role aligns whatever its title, but not a list of hand-offs
    to other agents with a list of when to ask a human (both read as collaboration: the
    hand-offs were written under "When to Escalate"), nor a section whose role is its
    subtitle's ("**Variable and Output Ordering:**" under "Code Formatting" was made another
    input's "Output", its heading gone)."""
    head = "---\nname: planner\ndescription: Plans the work.\n---\n\nYou are a planner.\n\n"
    write(
        tmp_path,
        "a.md",
        head + "## When to Escalate\n\n- The budget is unclear\n- Two teams disagree on scope\n\n"
        "## Code Formatting\n\n**Variable and Output Ordering:**\n\n- Sort variables by name\n- Keep outputs last\n",
    )
    write(
        tmp_path,
        "b.md",
        head + "## Agent Hand-offs\n\n- **With architect**: Turn the plan into a design\n"
        "- **With tester**: Agree the acceptance tests\n\n## Output\n\n- A plan of numbered tasks\n",
    )
    result = run_cli("consolidate", "a.md", "b.md", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    headings = [line for line in result.stdout.splitlines() if line.startswith("#")]
    assert headings == [
        "## When to Escalate",
        "## Code Formatting",
        "## Agent Hand-offs",
        "## Output",
    ], result.stdout


def test_a_rule_put_into_every_request_is_a_widening_and_its_globs_are_none(tmp_path: Path) -> None:
    """Two Cursor rules with ``alwaysApply: true`` and one scoped to ``**/*.py``: the merged rule
    is in every request (most inputs say so), which widens the scoped one, and no warning said so;
    the warning said instead that the merged globs widen the two rules that reached every file."""
    rule = "---\ndescription: Python style\n{head}---\n\n- {line}\n"
    write(tmp_path, "a.mdc", rule.format(head='globs: "**/*.py"\nalwaysApply: false\n', line="Use type hints"))
    write(tmp_path, "b.mdc", rule.format(head="alwaysApply: true\n", line="Prefer pathlib over os.path"))
    write(tmp_path, "c.mdc", rule.format(head="alwaysApply: true\n", line="Keep functions short"))
    result = run_cli("consolidate", "--mixed", "a.mdc", "b.mdc", "c.mdc", "-o", "out.mdc", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "alwaysApply: true" in (tmp_path / "out.mdc").read_text(encoding="utf-8")
    widened = [line for line in result.stderr.splitlines() if "widening" in line]
    assert widened == [
        "agentmerge: warning: widening: the merged rule applies to every request (alwaysApply); a.mdc did not"
    ]


def test_a_widening_of_thousands_of_tools_names_a_few_and_counts_the_rest(tmp_path: Path) -> None:
    many = "".join(f"  - t{n:04}\n" for n in range(3_000))
    (tmp_path / "a.md").write_text(f"---\nname: a\ndescription: Reviews code.\ntools:\n{many}---\n\nYou review code.\n")
    few = "---\nname: a\ndescription: Reviews code.\ntools: t0001, zz\n---\n\nYou review code.\n"
    (tmp_path / "b.md").write_text(few)
    result = run_cli("consolidate", str(tmp_path / "a.md"), str(tmp_path / "b.md"))
    assert result.exit_code == 0, result.stderr
    widened = [line for line in result.stderr.splitlines() if "widening" in line]
    shown = ", ".join(f"t{n:04}" for n in (0, *range(2, 13)))
    assert widened == [
        f"agentmerge: warning: widening: the merged agent has tool zz (tools) that {tmp_path / 'a.md'} did not",
        f"agentmerge: warning: widening: the merged agent has tools {shown} and 2,987 more (tools) that "
        f"{tmp_path / 'b.md'} did not",
    ]
    assert result.stdout.count("\n- t") == 3_000 and "\n- zz\n" in result.stdout  # the agent lists them all


def test_the_file_written_decides_how_globs_are_written(tmp_path: Path) -> None:
    """Cursor reads ``globs: **/*.ts`` unquoted, and a merge of Cursor rules keeps it so; but
    written to ``merged.md`` (no Cursor rule) the line was the same, YAML a strict loader refuses
    (``*`` opens an alias), and consolidating that file again quoted it: not a fixed point. A
    subagent and a rule merged into ``merged.mdc`` the other way round: quoted, a pattern Cursor
    matches no file with. The file written decides; standard output follows the inputs."""
    rule = "---\ndescription: TypeScript {}\nglobs: **/*.ts\nalwaysApply: false\n---\n\n- Use strict mode.\n- {}\n"
    a, b = tmp_path / "a.mdc", tmp_path / "b.mdc"
    a.write_text(rule.format("conventions", "Prefer interfaces for public types."), encoding="utf-8")
    b.write_text(rule.format("style", "Avoid any."), encoding="utf-8")
    merged, report = tmp_path / "merged.md", tmp_path / "merged.json"
    assert run_cli("consolidate", str(a), str(b), "-o", str(merged), "--report", str(report)).exit_code == 0
    text = merged.read_text(encoding="utf-8")
    assert "\nglobs: '**/*.ts'\n" in text
    assert json.loads(report.read_text(encoding="utf-8"))["agent"] == text
    again = run_cli("consolidate", str(merged))
    assert again.exit_code == 0 and again.stdout == text and "not valid YAML" not in again.stderr
    assert run_cli("consolidate", str(a), str(b), "-o", str(tmp_path / "merged.mdc")).exit_code == 0
    printed = run_cli("consolidate", str(a), str(b))
    assert printed.stdout == (tmp_path / "merged.mdc").read_text(encoding="utf-8")
    assert "\nglobs: **/*.ts\n" in printed.stdout

    subagent = tmp_path / "ts.md"
    subagent.write_text("---\nname: ts\ndescription: TypeScript style\n---\n\n- Avoid any.\n", encoding="utf-8")
    rule_file = tmp_path / "rule.mdc"
    mixed = ("consolidate", "--mixed", str(a), str(subagent))
    assert run_cli(*mixed, "-o", str(rule_file)).exit_code == 0
    written = rule_file.read_text(encoding="utf-8")
    assert "\nglobs: **/*.ts\n" in written
    assert run_cli("consolidate", str(rule_file)).stdout == written
    assert "\nglobs: '**/*.ts'\n" in run_cli(*mixed).stdout  # the inputs' formats share no unquoted key
