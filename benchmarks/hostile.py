"""Benchmark: every command on hostile inputs, each run in a fresh process, with time and peak memory.

Run from the repository root::

    .venv/bin/python benchmarks/hostile.py [--only NAME ...] [--timeout 60] [--check]
    .venv/bin/python benchmarks/hostile.py --agentmerge "/path/to/other/.venv/bin/python -m agentmerge"

For each input (built here, nothing from ../shared) it runs ``parse``, ``diff`` of the file against
a copy of itself, ``consolidate`` of the file with that copy, and ``merge`` with the file as BASE,
the copy as OURS and the copy with its last line edited as THEIRS (three parses, two pairings and
the check of the result), ``check`` of the file and the copy with every rule (the opt-in ones
too), ``fmt --diff`` of the file, ``group`` of the file and the copy, and ``review`` of a git
repository whose last commit turns the file into THEIRS, and prints wall seconds, peak
resident memory and the ratio to bare markdown-it-py parsing the same text (``MarkdownIt
("commonmark").enable("table").parse``, inline rules included) in a fresh process of its own.
Both sides include interpreter start-up and imports. Wall seconds and CPU seconds (user + system,
from the process's own accounting) are both shown; the ratio is of CPU seconds, which do not
grow when other work shares the machine. ``--check`` exits 1 when a command takes 5 CPU seconds
or more (``--wall``: 5 wall seconds) or 500 MB or more; ``--agentmerge`` measures another
installation (the figures "before").

Inputs that are not files (a FIFO nobody writes to, /dev/zero) have no markdown-it baseline: they
must be refused at once. A library (a folder of many such files) is checked, grouped and reviewed
as a pull request that changes every file (each takes the next one's text); its limit is four
times the bare parse of what the command reads (both sides of the change, for a review).
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TIME_LIMIT = 5.0
"""Seconds a command may take on any hostile input."""

MEMORY_LIMIT = 500 * 1024 * 1024
"""Peak resident bytes a command may use on any hostile input."""

FRONTMATTER = "---\nname: hostile\ndescription: A hostile input\n---\n"


def unrelated_bullets(seed: int, count: int, words: int) -> str:
    """``count`` bullets of ``words`` made-up words each, different for every ``seed``: two such
    files share no instruction, only words, the worst case for pairing reworded items."""
    pick = random.Random(seed)
    lines = (" ".join(f"w{pick.randrange(3_000)}" for _ in range(words)) for _ in range(count))
    return FRONTMATTER + "".join(f"- {line}\n" for line in lines)


def shared_words(seed: int, sections: int, bullets: int) -> str:
    """``sections`` sections of ``bullets`` bullets of two to five words from a vocabulary of
    24, under one title: every bullet shares words with thousands on the other side, and many
    stand inside a longer one there, the worst case for finding a short item inside a longer one."""
    pick = random.Random(seed)
    vocabulary = [f"v{n}" for n in range(24)]
    out = [FRONTMATTER, "\n# Shared words\n"]
    for number in range(sections):
        out.append(f"\n## Section {number} {pick.choice(vocabulary)}\n\n")
        out.extend(f"- {' '.join(pick.choices(vocabulary, k=pick.randint(2, 5)))}\n" for _ in range(bullets))
    return "".join(out)


def few_words(seed: int, count: int) -> str:
    """``count`` bullets of four to fourteen words from a vocabulary of 36: every term is in
    hundreds of items, so blocking leaves each item paired with most of the others (the scorer's
    MAX_PAIRS must stop it)."""
    pick = random.Random(seed)
    vocabulary = [f"f{n}" for n in range(36)]
    lines = (" ".join(pick.choices(vocabulary, k=pick.randint(4, 14))) for _ in range(count))
    return FRONTMATTER + "".join(f"- {line}\n" for line in lines)


def unspaced(seed: int, paragraphs: int, characters: int, edits: int = 0) -> str:
    """``paragraphs`` paragraphs of ``characters`` CJK ideographs each, no space or stop among
    them (a text with no words to split on: every comparison is by character), the same for one
    ``seed``; ``edits`` characters of each changed (the same places for one seed), so a file
    and its edited copy pair paragraph by paragraph."""
    pick = random.Random(seed)
    texts = []
    for _ in range(paragraphs):
        chars = [chr(0x4E00 + pick.randrange(3_000)) for _ in range(characters)]
        texts.append(chars)
    change = random.Random(seed + 1)
    for chars in texts:
        for _ in range(edits):
            chars[change.randrange(characters)] = chr(0x4E00 + change.randrange(3_000))
    return FRONTMATTER + "".join("\n" + "".join(chars) + "\n" for chars in texts)


def long_paragraph(seed: int, lines: int, words: int, changed: float = 0.0) -> str:
    """One paragraph of ``lines`` lines of ``words`` made-up words, the same for one ``seed``;
    ``changed`` of its lines (a share, the same lines for one seed) with one word replaced."""
    pick = random.Random(seed)
    rows = [[f"w{pick.randrange(3_000)}" for _ in range(words)] for _ in range(lines)]
    change = random.Random(seed + 1)
    for row in change.sample(rows, int(lines * changed)):
        row[change.randrange(words)] = "changed"
    return FRONTMATTER + "\n" + "".join(" ".join(row) + "\n" for row in rows)


def added_everywhere(places: int, words: int) -> tuple[str, str, str]:
    """BASE, OURS and THEIRS of a merge where each side adds a bullet of ``words`` made-up words
    after each of ``places`` bullets: every place holds one addition a side, each pair of which
    the merge weighs as one instruction in two wordings or two."""
    base = [f"- rule {n} of the list" for n in range(places)]
    sides = []
    for seed in (1, 2):
        pick = random.Random(seed)
        added = [" ".join(f"w{pick.randrange(3_000)}" for _ in range(words)) for _ in range(places)]
        sides.append(FRONTMATTER + "".join(f"{rule}\n- {more}\n" for rule, more in zip(base, added, strict=True)))
    return FRONTMATTER + "".join(f"{rule}\n" for rule in base), sides[0], sides[1]


def swapped_marks(items: int, units: int) -> tuple[str, str]:
    """``items`` bullets, each a code span of a letter and a backslash written ``units`` times,
    against the same bullets with an escaped backtick before each letter: every word of a
    bullet has hundreds of copies on the other side, and each block found between them leaves
    two more stretches to search (minutes to redline before ``match.WorkBudget``)."""
    old = "".join(f"- item {n} {' '.join(['`a' + chr(92) + '`'] * units)}\n" for n in range(items))
    new = "".join(f"- item {n} {' '.join([chr(92) + '`a`'] * units)}\n" for n in range(items))
    return FRONTMATTER + old, FRONTMATTER + new


def unformatted_section(n: int) -> str:
    """A section ``fmt`` rewrites in two places (a label's colon, a blank line inside a list) under
    one of six headings: repeated, a file whose line diff against its formatted copy has changes
    all over it among lines written many times (difflib took minutes over 4,000 of them)."""
    return f"###### H{n % 6}\n\n**Key points**:\n\n- point {n}\n\n- again\n\n"


def template(fills: int) -> str:
    """One template ("## Example" over the same 25 bullets) filled ``fills`` times: restatements
    that never merge, each copy of a bullet once weighed against every other: 9,000 items of
    the file and its copy took 16 CPU seconds and 243 MB to consolidate."""
    bullets = "".join(f"- item {k} same words\n" for k in range(25))
    return FRONTMATTER + "".join(f"## Example\n\n{bullets}\n" for _ in range(fills))


def tool_list(prefix: str, count: int) -> str:
    """An agent allowed ``count`` tools named ``prefix`` and a number: two such lists with two
    prefixes share no tool, and every name of one is looked for among the other's."""
    tools = ", ".join(f"{prefix}{n}" for n in range(count))
    return f"---\nname: hostile\ndescription: A hostile input\ntools: {tools}\n---\n- one\n"


INPUTS: dict[str, Callable[[], str | tuple[str, str] | tuple[str, str, str] | list[str]]] = {
    "emphasis-35k": lambda: FRONTMATTER + "- " + "*a **b " * 5_000 + "\n",
    "emphasis-70k": lambda: FRONTMATTER + "- " + "*a **b " * 10_000 + "\n",
    "emphasis-280k": lambda: FRONTMATTER + "- " + "*a **b " * 40_000 + "\n",
    "emphasis-1.4m": lambda: FRONTMATTER + "- " + "*a **b " * 200_000 + "\n",
    "brackets-200k": lambda: FRONTMATTER + "- " + "[" * 100_000 + "x" + "]" * 100_000 + "\n",
    "examples-450k": lambda: "---\nname: hostile\ndescription: " + "<example>" * 50_000 + "\n---\n- one\n",
    "steps-1000": lambda: FRONTMATTER + "## Step\n- Do it\n\n" * 1_000,
    "steps-2000": lambda: FRONTMATTER + "## Step\n- Do it\n\n" * 2_000,
    "steps-4000": lambda: FRONTMATTER + "## Step\n- Do it\n\n" * 4_000,
    "headings-20000": lambda: FRONTMATTER + "".join(f"## H{n}\n\n" for n in range(20_000)),
    "unformatted-4000": lambda: FRONTMATTER + "".join(unformatted_section(n) for n in range(4_000)),
    "template-180x25": lambda: template(180),
    "tools-9000": lambda: (tool_list("t", 9_000), tool_list("u", 9_000)),
    "tools-4500": lambda: (tool_list("t", 4_500), tool_list("u", 4_500)),
    "keys-100k": lambda: "---\n" + "".join(f"k{n}: v\n" for n in range(100_000)) + "---\n- one\n",
    "backticks-200k": lambda: FRONTMATTER + "- " + "`a " * 70_000 + "\n",
    "table-columns-100k": lambda: FRONTMATTER + "|a" * 50_000 + "|\n" + "|-" * 50_000 + "|\n" + "|b" * 50_000 + "|\n",
    "links-100k": lambda: FRONTMATTER + "- " + "[a](" * 50_000 + "\n",
    "underscores-200k": lambda: FRONTMATTER + "- " + "_a __b " * 30_000 + "\n",
    "bullets-100k": lambda: FRONTMATTER + "".join(f"- item {n}\n" for n in range(100_000)),
    "unrelated-3000": lambda: (unrelated_bullets(1, 3_000, 8), unrelated_bullets(2, 3_000, 8)),
    "unrelated-25000": lambda: (unrelated_bullets(1, 25_000, 2), unrelated_bullets(2, 25_000, 2)),
    "shared-words-12000": lambda: (shared_words(1, 120, 100), shared_words(2, 120, 100)),
    "few-words-8000": lambda: (few_words(1, 4_000), few_words(2, 4_000)),
    "paragraph-lines-20000": lambda: (
        FRONTMATTER + "\n" + "use Word y\n" * 20_000,
        FRONTMATTER + "\n" + "use Word y\n" * 20_000 + "end\n",
    ),
    "unspaced-2x85k": lambda: (unspaced(1, 2, 85_000), unspaced(1, 2, 85_000, edits=200)),
    "paragraph-words-400k": lambda: (long_paragraph(1, 4_000, 16), long_paragraph(1, 4_000, 16, changed=0.1)),
    "swapped-marks-633x120": lambda: swapped_marks(633, 120),
    "added-80x600-words": lambda: added_everywhere(80, 600),
    "added-1000x40-words": lambda: added_everywhere(1_000, 40),
    "library-few-words-40x1000": lambda: [few_words(seed, 1_000) for seed in range(40)],
    "library-unrelated-40x6000": lambda: [unrelated_bullets(seed, 6_000, 2) for seed in range(40)],
}
"""Inputs by name; each is an agent file's text, or two texts: the file and the one it is
diffed and consolidated with (otherwise a copy of itself), or three: those two and THEIRS of the
merge (otherwise the second with its last line edited), or a list of texts: a library, a
folder of that many agent files, which ``check`` and ``group`` (``--min-overlap`` too) read and
``review`` reads as a pull request that changes them all."""

SPECIAL = ("fifo", "dev-zero")
"""Inputs that are not regular files: created at run time."""

BASELINE = """
import sys
from markdown_it import MarkdownIt
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        MarkdownIt("commonmark").enable("table").parse(handle.read())
"""


def _limit_memory() -> None:
    """Cap the child's address space, so a run that reads without end fails instead of swapping."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))


ADDRESS_SPACE_CAP = 4 * 1024**3
"""Virtual memory a measured process may reserve (4 GiB); far above MEMORY_LIMIT, so it only stops runaways."""


def run(command: list[str], timeout: float, cwd: str | None = None) -> tuple[int | None, float, float, int]:
    """Run ``command`` in a new process (in ``cwd``); return (exit code or None on timeout, wall
    seconds, CPU seconds (user + system, its waited-for children's included), peak RSS bytes)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_limit_memory,
    )
    deadline = start + timeout
    status = None
    usage = None
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            _, _, usage = os.wait4(process.pid, 0)
            status = None
            break
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    code = os.waitstatus_to_exitcode(status) if status is not None else None
    return code, elapsed, usage.ru_utime + usage.ru_stime, peak


def commands(agentmerge: list[str], path: str, copy: str, theirs: str) -> dict[str, list[str]]:
    return {
        "parse": [*agentmerge, "parse", path],
        "diff": [*agentmerge, "diff", path, copy],
        "consolidate": [*agentmerge, "consolidate", path, copy],
        "merge": [*agentmerge, "merge", path, copy, theirs],
        "check": check_command(agentmerge, path, copy),
        "fmt": [*agentmerge, "fmt", "--diff", "-j", "1", path],
        "group": [*agentmerge, "group", "-j", "1", path, copy],
    }


def review_command(agentmerge: list[str]) -> list[str]:
    """``review`` of the last commit of the repository it runs in (``repository``)."""
    return [*agentmerge, "review", "--base", "HEAD~1", "--head", "HEAD", "--format", "json"]


def repository(folder: str, base: list[str], head: list[str]) -> str:
    """A git repository in ``folder`` whose last commit turns agent files of texts ``base`` into
    ``head`` (``.claude/agents/agent-N.md``, where ``review`` looks); its path."""
    agents = Path(folder, ".claude", "agents")
    agents.mkdir(parents=True)

    def git(*words: str) -> None:
        command = ["git", "-c", "user.name=hostile", "-c", "user.email=hostile@example.com", *words]
        subprocess.run(command, cwd=folder, check=True, stdout=subprocess.DEVNULL)

    git("init", "-q")
    for texts in (base, head):
        for number, text in enumerate(texts):
            (agents / f"agent-{number}.md").write_text(text, encoding="utf-8")
        git("add", "-A")
        git("commit", "-q", "--allow-empty", "-m", "change")
    return folder


def check_command(agentmerge: list[str], *paths: str) -> list[str]:
    """``check`` with every rule, the opt-in ones too, on ``paths``."""
    return [*agentmerge, "check", "--extend-select", "AM1,AM2,AM3", "--exit-zero", "-j", "1", *paths]


def _library(
    name: str,
    size: str,
    texts: list[str],
    files: list[str],
    folder: str,
    agentmerge: list[str],
    args: argparse.Namespace,
) -> bool:
    """Run the library commands on ``folder`` (``files``, of ``texts``); whether one broke the limits."""
    base_code, base_time, base_cpu, base_peak = run([sys.executable, "-c", BASELINE, *files], args.timeout)
    baseline = f"| {base_code} | {base_time:.2f} | {base_cpu:.2f} | {base_peak / 2**20:.0f} | 1 |"
    print(f"| {name} | {size} | bare markdown-it-py {baseline}")
    pull = repository(f"{folder}.repo", texts, texts[1:] + texts[:1])
    failed = False
    # Each command with the copies of the library it reads: a review reads both sides of the change.
    for label, command, cwd, reads in (
        ("check", check_command(agentmerge, folder), None, 1),
        ("group", [*agentmerge, "group", "-j", "1", folder], None, 1),
        ("group --min-overlap", [*agentmerge, "group", "--min-overlap", "0.5", "-j", "1", folder], None, 1),
        ("review", review_command(agentmerge), pull, 2),
    ):
        code, elapsed, cpu, peak = run(command, args.timeout, cwd)
        shown = f"{elapsed:.2f}" if code is not None else f">{args.timeout:.0f}"
        ratio = f"{cpu / base_cpu:.1f}" if base_code == 0 and base_cpu else "-"
        print(
            f"| {name} | {size} | {label} | {code} | {shown} | {cpu:.2f} | {peak / 2**20:.0f} | {ratio} |", flush=True
        )
        # A library is many files: its limit grows with them, four times their bare parse.
        limit = max(TIME_LIMIT, 4 * reads * base_cpu)
        failed |= code is None or (elapsed if args.wall else cpu) >= limit or peak >= MEMORY_LIMIT
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="input names to run (default: all)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a run is stopped")
    parser.add_argument("--check", action="store_true", help="exit 1 when a run takes 5 CPU seconds or 500 MB")
    parser.add_argument("--wall", action="store_true", help="with --check, hold wall seconds to 5 s instead")
    parser.add_argument(
        "--agentmerge",
        default=f"{shlex.quote(sys.executable)} -m agentmerge",
        help="the command that runs agentmerge (default: this interpreter's)",
    )
    args = parser.parse_args()
    agentmerge = shlex.split(args.agentmerge)
    names = args.only or [*INPUTS, *SPECIAL]
    failed = False
    print("| input | size | command | exit | seconds | CPU s | peak MB | x markdown-it (CPU) |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="agentmerge-hostile-") as scratch:
        for name in names:
            if name == "fifo":
                path = os.path.join(scratch, "fifo.md")
                os.mkfifo(path)
                copy = theirs = path
                size, baseline = "-", None
            elif name == "dev-zero":
                path = copy = theirs = "/dev/zero"
                size, baseline = "-", None
            elif isinstance(made := INPUTS[name](), list):
                folder = os.path.join(scratch, name)
                os.mkdir(folder)
                files = [os.path.join(folder, f"agent-{n}.md") for n in range(len(made))]
                for file, text in zip(files, made, strict=True):
                    Path(file).write_text(text, encoding="utf-8")
                size = f"{sum(len(text.encode()) for text in made) / 1024:,.0f} KB"
                failed |= _library(name, size, made, files, folder, agentmerge, args)
                continue
            else:
                text, other, *third = made if isinstance(made, tuple) else (made, made)
                path = os.path.join(scratch, f"{name}.md")
                copy = os.path.join(scratch, f"{name}.copy.md")
                Path(path).write_text(text, encoding="utf-8")
                Path(copy).write_text(other, encoding="utf-8")
                # THEIRS: the copy with its last line edited, so both sides of the merge changed BASE.
                theirs = os.path.join(scratch, f"{name}.theirs.md")
                Path(theirs).write_text(third[0] if third else other.rstrip("\n") + " edited\n", encoding="utf-8")
                size = f"{len(text.encode()) / 1024:,.0f} KB"
                base_code, base_time, base_cpu, base_peak = run([sys.executable, "-c", BASELINE, path], args.timeout)
                baseline = base_cpu if base_code == 0 else None
                shown = f"{base_time:.2f}" if base_code is not None else f">{args.timeout:.0f}"
                print(
                    f"| {name} | {size} | bare markdown-it-py | {base_code} | {shown} | {base_cpu:.2f} "
                    f"| {base_peak / 2**20:.0f} | 1 |"
                )
            runs = [(label, command, None) for label, command in commands(agentmerge, path, copy, theirs).items()]
            if name not in SPECIAL:
                pull = repository(
                    os.path.join(scratch, f"{name}.repo"), [text], [Path(theirs).read_text(encoding="utf-8")]
                )
                runs.append(("review", review_command(agentmerge), pull))
            for label, command, cwd in runs:
                if name == "fifo" and label != "parse":
                    continue
                code, elapsed, cpu, peak = run(command, args.timeout, cwd)
                ratio = f"{cpu / baseline:.1f}" if baseline else "-"
                shown = f"{elapsed:.2f}" if code is not None else f">{args.timeout:.0f}"
                print(
                    f"| {name} | {size} | {label} | {code} | {shown} | {cpu:.2f} | {peak / 2**20:.0f} | {ratio} |",
                    flush=True,
                )
                spent = elapsed if args.wall else cpu
                failed |= code is None or spent >= TIME_LIMIT or peak >= MEMORY_LIMIT
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
