"""``agentmerge merge`` from the command line: exit codes, outputs, bad input, and OURS' bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS, run_cli

from agentmerge import merge as merge_module
from agentmerge.cli import main
from agentmerge.match import IN_PLACE_ALLOWANCE, ITEM_CUTOFF, similarity

BASE = """---
name: release-manager
description: Prepares releases
tools: Read, Bash
---

# Release Manager

Cut releases from main after the checks pass, and write the notes
from the merged pull requests, grouped by area.

## Steps

1. Freeze main
2. Run the full test suite
3. Tag the release

## Rules

* Never release on a Friday
* Keep the changelog in Keep a Changelog form
* Announce the release in the team channel
"""


def write(folder: Path, **texts: str) -> list[str]:
    paths = []
    for name, text in texts.items():
        path = folder / f"{name}.md"
        path.write_bytes(text.encode("utf-8"))
        paths.append(str(path))
    return paths


def invoke(*args: str, stdin: bytes | None = None) -> tuple[int, bytes, str]:
    """``agentmerge merge ARGS`` through the shared runner, its output as bytes."""
    done = run_cli("merge", *args, stdin=stdin)
    return done.exit_code, done.stdout_bytes, done.stderr


def test_a_clean_merge_exits_0_and_prints_the_file(tmp_path: Path) -> None:
    """Both sides' changes land; the merged file goes to standard output."""
    ours = BASE.replace("* Announce the release in the team channel", "* Announce the release in #releases")
    theirs = BASE.replace("3. Tag the release", "3. Tag the release\n4. Publish the packages")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 0, err
    assert out.decode() == ours.replace("3. Tag the release", "3. Tag the release\n4. Publish the packages")


def test_the_same_bullet_added_on_both_sides_with_a_typo_apart_is_added_once(tmp_path: Path) -> None:
    """Both sides add one rule, one with a final period: a near-verbatim copy is one item, OURS' words."""
    ours = BASE.replace(
        "* Announce the release in the team channel", "* Announce the release in the team channel\n* Sign the tags."
    )
    theirs = BASE.replace(
        "* Announce the release in the team channel", "* Announce the release in the team channel\n* Sign the tags"
    )
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 0, err
    assert out.decode() == ours


@pytest.mark.parametrize(
    ("mine", "yours"),
    [
        ("Fetch the notes over HTTP", "Fetch the notes over HTTPS"),
        ("Reviewers may approve their own release", "Reviewers must approve their own release"),
        ("Compare versions with == in the script", "Compare versions with === in the script"),
        ("Retry while attempts <= 3", "Retry while attempts < 3"),
    ],
    ids=["acronym", "modal", "equality", "bound"],
)
def test_two_rules_one_mark_apart_added_at_one_place_conflict(tmp_path: Path, mine: str, yours: str) -> None:
    """Two added rules a character or a word apart that a term does not show (an acronym's last
    letter, "may" for "must", "==" for "===") are two instructions, not one with a typo: the merge
    kept OURS' alone, exit 0, and THEIRS' rule was gone."""
    end = "* Announce the release in the team channel"
    ours = BASE.replace(end, f"{end}\n* {mine}")
    theirs = BASE.replace(end, f"{end}\n* {yours}")
    code, out, _ = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 1, out.decode()
    assert mine in out.decode() and yours in out.decode()


@pytest.mark.parametrize("theirs_first", [True, False])
def test_two_wordings_of_one_rule_conflict_whichever_side_of_a_shared_addition_they_stand(
    tmp_path: Path, theirs_first: bool
) -> None:
    """Both sides add one rule in the same words and another in two wordings; OURS puts its
    wording after the shared rule, THEIRS before it (as two branches of a criss-cross history
    do). The wordings were read at two places and both kept, clean; they conflict, as they do
    when both stand on one side of the shared rule."""
    end = "* Announce the release in the team channel"
    shared, mine, yours = "* Sign the tags", "* Run the smoke tests first", "* Run the smoke and load tests first"
    ours = BASE.replace(end, f"{end}\n{shared}\n{mine}")
    theirs = BASE.replace(end, f"{end}\n{yours}\n{shared}" if theirs_first else f"{end}\n{shared}\n{yours}")
    code, out, _ = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 1, out.decode()
    assert out.decode().count(shared) == 1 and "<<<<<<<" in out.decode()


def test_two_wordings_one_naming_a_tool_more_added_at_one_place_conflict(tmp_path: Path) -> None:
    """ "Profile with cProfile and line_profiler" beside "profiling tools such as `cProfile`": one
    rule in two minds, a conflict. ``consolidate`` keeps such wordings apart (folded, the extra
    tool would be gone); ``merge``'s conflict shows both, and the identifier test is not asked."""
    end = "* Announce the release in the team channel"
    mine = "* **Profiling:** Find the slow paths with profiling tools such as `cProfile`."
    yours = "* Profile hot paths with cProfile and line_profiler"
    ours, theirs = BASE.replace(end, f"{end}\n{mine}"), BASE.replace(end, f"{end}\n{yours}")
    code, out, _ = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 1 and "<<<<<<<" in out.decode(), out.decode()


def test_two_different_bullets_added_on_both_sides_are_both_kept(tmp_path: Path) -> None:
    ours = BASE.replace(
        "* Announce the release in the team channel", "* Announce the release in the team channel\n* Sign the tags"
    )
    theirs = BASE.replace(
        "* Announce the release in the team channel", "* Announce the release in the team channel\n* Publish the docs"
    )
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 0, err
    assert "* Sign the tags\n* Publish the docs" in out.decode()


def test_a_prohibition_and_an_unrelated_bullet_added_at_one_place_are_both_kept(tmp_path: Path) -> None:
    """One side adds a prohibition, the other an unrelated practice, at the end of one list: two
    instructions, both kept. A negation on one side alone made them "saying opposite things", a
    conflict over two rules that say nothing of each other."""
    last = "* Announce the release in the team channel"
    ours = BASE.replace(last, f"{last}\n* Write the release notes first")
    theirs = BASE.replace(last, f"{last}\n* Never publish secrets or tokens")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 0, err
    assert "* Write the release notes first\n* Never publish secrets or tokens" in out.decode()


@pytest.mark.parametrize(
    ("mine", "yours", "why"),
    [
        ("Keep functions under 20 lines", "Keep functions under 25 lines", " in different words"),
        ("Log at info level", "Log at debug level", " in different words"),
        ("Sign the tags", "Sign the packages", " in different words"),
        ("Run the migrations before deploying", "Apply migrations ahead of each deploy", " in different words"),
        ("Keep release branches for a year", "Maintain each release branch for twelve months", " in different words"),
        ("Deploy previews with Netlify", "Deploy previews with Vercel", " in different words"),
        ("Use tabs for indentation", "Do not use tabs for indentation", ", saying opposite things"),
    ],
)
def test_two_wordings_added_at_one_place_on_both_sides_conflict(
    tmp_path: Path, mine: str, yours: str, why: str
) -> None:
    """Kept both, they were one rule in two minds with exit 0 ("under 20 lines" and "under 25
    lines"); git marks them as a conflict, and so does the merge, around those two items alone."""
    last = "* Announce the release in the team channel"
    ours, theirs = BASE.replace(last, f"{last}\n* {mine}"), BASE.replace(last, f"{last}\n* {yours}")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 1
    assert f"item '{mine}': added on both sides{why}" in err
    markers = f"<<<<<<< ours\n* {mine}\n||||||| base\n=======\n* {yours}\n>>>>>>> theirs\n"
    assert out.decode() == ours.replace(f"* {mine}\n", markers)


@pytest.mark.parametrize(
    ("mine", "yours"),
    [
        (
            "**With the frontend lead**: Build accessible React components with hooks",
            "**With the frontend lead**: Create Vue component libraries with the Composition API",
        ),
        (
            "**With the data team**: Agree on the event schema in Avro",
            "**With the data team**: Load the nightly exports into BigQuery",
        ),
        ("**Monitoring**: Export service metrics to Prometheus", "**Monitoring**: Ship request traces to Jaeger"),
        ("Pin `node` to the version in `.nvmrc`", "Pin `python` to the version in `.python-version`"),
        ("Alerting rules for Grafana", "Grafana dashboards and panels"),
        ("Policies and gates in Laravel", "Queue workers with Laravel"),
    ],
)
def test_two_rules_naming_their_own_things_or_sharing_only_a_name_are_both_kept(
    tmp_path: Path, mine: str, yours: str
) -> None:
    """Each side adds a rule written to the list's template, each naming a thing of its own, or
    a rule that has no word in common with the other's but the product both name: the pair score
    reads them as one instruction, but neither wording carries the other (the lossless rule
    ``consolidate`` folds by) and they differ in more than what they name, or share nothing but
    the name, so they are two rules, both kept, where they were a conflict."""
    last = "* Announce the release in the team channel"
    ours, theirs = BASE.replace(last, f"{last}\n* {mine}"), BASE.replace(last, f"{last}\n* {yours}")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 0, err
    assert f"* {mine}\n* {yours}" in out.decode()


@pytest.mark.parametrize(
    ("mine", "yours"),
    [
        (
            "When reviewing database migrations, check for table locks",
            "When reviewing database migrations, check for a rollback script",
        ),
        ("Before tagging, update the changelog", "Before tagging, bump the version number"),
    ],
)
def test_two_rules_in_one_frame_added_at_one_place_are_both_kept(tmp_path: Path, mine: str, yours: str) -> None:
    """Each side adds a rule in one frame (a condition both open with) that says another thing in
    it: the pair score and the lossless reading took them for one rule in two wordings, a
    conflict; they are two (``cluster.one_frame``)."""
    last = "* Announce the release in the team channel"
    ours, theirs = BASE.replace(last, f"{last}\n* {mine}"), BASE.replace(last, f"{last}\n* {yours}")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 0, err
    assert out.decode() == ours.replace(f"* {mine}\n", f"* {mine}\n* {yours}\n")


@pytest.mark.parametrize(
    ("mine", "yours"),
    [
        ("Reply to all tickets within one hour", "Reply to some tickets within one hour"),
        ("When a release fails, say why", "When a release fails, say where"),
        ("Copy the notes into the release folder", "Copy the notes out of the release folder"),
    ],
)
def test_one_rule_with_a_stop_word_changed_on_each_side_conflicts(tmp_path: Path, mine: str, yours: str) -> None:
    """Each side adds the same rule with a stop word changed ("all" / "some", "into" / "out of"):
    stop words are no terms, so the two were near-verbatim copies, one addition, and THEIRS' was
    dropped without a word (exit 0). They are one rule in two minds: a conflict shows both."""
    last = "* Announce the release in the team channel"
    ours, theirs = BASE.replace(last, f"{last}\n* {mine}"), BASE.replace(last, f"{last}\n* {yours}")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 1, err
    assert f"* {mine}" in out.decode() and f"* {yours}" in out.decode()


@pytest.mark.parametrize(
    ("mine", "yours"),
    [
        ("Write the release notes first", "Tag the release commit"),
        ("Check the changelog for typos", "Post the changelog link in the channel"),
        ("Tell support about the release date", "Schedule the release for a weekday morning"),
    ],
)
def test_two_rules_on_one_topic_added_at_one_place_are_both_kept(tmp_path: Path, mine: str, yours: str) -> None:
    """Each side appends a rule of its own to one list, on the list's topic: two instructions,
    both kept, THEIRS' after OURS'. Read as ``diff`` reads a bullet rewritten in place (0.45
    similarity and a word in common) they conflicted, as a quarter of such merges on the corpus
    did; the pair score, reading each among the list's other rules, tells them apart."""
    last = "* Announce the release in the team channel"
    ours, theirs = BASE.replace(last, f"{last}\n* {mine}"), BASE.replace(last, f"{last}\n* {yours}")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 0, err
    assert out.decode() == ours.replace(f"* {mine}\n", f"* {mine}\n* {yours}\n")


def test_several_items_added_at_one_place_conflict_only_where_two_give_one_rule(tmp_path: Path) -> None:
    """Each side appends two rules to one list. Two on the list's topic ("Check the changelog for
    typos", "Post the changelog link in the channel") are kept, where pairing them by their
    letters conflicted twice; a rule both sides added in two wordings ("Keep release branches for
    a year", "Maintain each release branch for twelve months") is a conflict around those two,
    where it merged cleanly with both kept."""
    last = "* Announce the release in the team channel"

    def added(*rules: str) -> str:
        return BASE.replace(last, last + "".join(f"\n* {rule}" for rule in rules))

    ours = added("Write the release notes first", "Check the changelog for typos")
    theirs = added("Tag the release commit", "Post the changelog link in the channel")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 0, err
    rules = ("Write the release notes first", "Check the changelog for typos", "Tag the release commit")
    assert out.decode() == added(*rules, "Post the changelog link in the channel")
    ours = added("Keep release branches for a year", "Tell support about the release date")
    theirs = added("Maintain each release branch for twelve months", "Schedule the release for a weekday morning")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 1
    assert err.count("added on both sides in different words") == 1
    markers = "<<<<<<< ours\n* Keep release branches for a year\n||||||| base\n=======\n"
    markers += "* Maintain each release branch for twelve months\n>>>>>>> theirs\n"
    rest = "* Tell support about the release date\n* Schedule the release for a weekday morning\n"
    assert out.decode() == BASE.replace(f"{last}\n", f"{last}\n{markers}{rest}")


@pytest.mark.parametrize(("budget", "conflict"), [(1, False), (0, True)])
def test_past_the_rule_readings_budget_a_pair_read_as_one_instruction_is_one_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int, conflict: bool
) -> None:
    """Reading whether a pair is one rule is bounded per merge (RULE_READINGS): past it, a pair
    the pair score reads as one instruction is a conflict, as before the rule read them."""
    monkeypatch.setattr(merge_module, "RULE_READINGS", budget)
    last = "* Announce the release in the team channel"
    mine = "**Monitoring**: Export service metrics to Prometheus"
    yours = "**Monitoring**: Ship request traces to Jaeger"
    ours, theirs = BASE.replace(last, f"{last}\n* {mine}"), BASE.replace(last, f"{last}\n* {yours}")
    code, _, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert (code == 1) is conflict, err


@pytest.mark.parametrize(("name", "conflict"), [("html-expert", False), (None, True)])
def test_two_rules_sharing_only_the_agents_subject_are_both_kept(
    tmp_path: Path, name: str | None, conflict: bool
) -> None:
    """In an agent named for HTML, two rules on two of its topics that share no word but "HTML"
    are two rules, both kept; with no name to say what the file is about, the shared word is
    evidence, and the two stay a conflict."""
    head = "---\n" + (f"name: {name}\n" if name else "") + "description: Writes web pages\n---\n\n## Rules\n\n"
    base = head + "- Use semantic elements\n- Keep pages small\n"
    mine, yours = "Form creation and validation with HTML", "Navigation menus within HTML documents"
    code, out, err = invoke(*write(tmp_path, base=base, ours=base + f"- {mine}\n", theirs=base + f"- {yours}\n"))
    if conflict:
        assert code == 1 and f"item '{mine}': added on both sides in different words" in err
    else:
        assert code == 0, err
        assert out.decode() == base + f"- {mine}\n- {yours}\n"


@pytest.mark.parametrize(("budget", "limit"), [("RESTATEMENT_PLACES", 0), ("RESTATEMENT_ITEMS", 1)])
@pytest.mark.parametrize(
    ("mine", "yours", "conflict"),
    [
        ("Check the changelog for typos", "Post the changelog link in the channel", True),
        ("**Monitoring**: Export service metrics to Prometheus", "**Monitoring**: Ship traces to Jaeger", False),
    ],
)
def test_past_the_pair_score_budgets_additions_pair_as_diff_pairs_rewordings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: str, limit: int, mine: str, yours: str, conflict: bool
) -> None:
    """Past the places a merge weighs by the pair score, or the additions at one place, two
    rules on one list's topic are read as ``diff`` reads a bullet rewritten in place (0.45
    similarity and a word in common): a conflict, as before the pair score decided. Two rules
    of one template, each naming its own thing, which that reading pairs too (a label and a
    word in common), are still both kept: one rule only when one wording carries the other."""
    monkeypatch.setattr(merge_module, budget, limit)
    last = "* Announce the release in the team channel"
    ours, theirs = BASE.replace(last, f"{last}\n* {mine}"), BASE.replace(last, f"{last}\n* {yours}")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    if conflict:
        assert code == 1
        assert f"item '{mine}': added on both sides in different words" in err
    else:
        assert code == 0, err
        assert f"* {mine}\n* {yours}" in out.decode()


def test_code_blocks_added_at_one_place_conflict_only_as_two_versions_of_one_block(tmp_path: Path) -> None:
    """Code is compared by its characters, as ``consolidate`` merges it only as a copy: two
    different commands both sides added after one list are both kept (the pair score, reading
    their shared words, called them one instruction), and one command in two versions is a
    conflict."""
    last = "* Announce the release in the team channel"
    tag = "```sh\ngit tag -s v1.2.0 -m 'Release 1.2.0'\ngit push origin v1.2.0\n```"
    notes = "```sh\ngit log --oneline v1.1.0..HEAD > notes.txt\ngit push origin main\n```"
    ours, theirs = BASE.replace(last, f"{last}\n\n{tag}"), BASE.replace(last, f"{last}\n\n{notes}")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 0, err
    assert out.decode() == BASE.replace(last, f"{last}\n\n{tag}\n\n{notes}")
    ours = BASE.replace(last, f"{last}\n\n```sh\nmake test\n```")
    theirs = BASE.replace(last, f"{last}\n\n```sh\nmake test lint\n```")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 1
    assert "added on both sides in different words" in err


def test_a_file_both_sides_added_conflicts_where_they_word_one_rule_apart(tmp_path: Path) -> None:
    """git passes an empty BASE when both branches add the file: every item was an addition, and
    "Block merges on failing CI" was kept beside "Allow merges on failing CI for hotfixes". Two
    rules for one act under two conditions ("Approve when tests pass", "Approve only after two
    reviews"), of which neither wording carries the other, are two rules, both kept."""
    head = "---\nname: reviewer\ndescription: Reviews pull requests\n---\n\n## Rules\n\n"
    ours = head + "- Approve when tests pass\n- Comment on style issues\n- Block merges on failing CI\n"
    theirs = (
        head
        + "- Approve only after two reviews\n- Comment on style issues\n- Allow merges on failing CI for hotfixes\n"
    )
    code, out, err = invoke(*write(tmp_path, base="", ours=ours, theirs=theirs))
    assert code == 1
    assert err.count("added on both sides") == 1 and "item 'Block merges on failing CI'" in err
    text = out.decode()
    assert text.count("<<<<<<< ours") == 1 and text.count("- Comment on style issues") == 1
    assert text.count("- Approve when tests pass\n") == text.count("- Approve only after two reviews\n") == 1
    same = head + "- Comment on style issues\n- Sign the tags\n"
    code, out, err = invoke(*write(tmp_path, base="", ours=same, theirs=head + "- Comment on style issues\n"))
    assert code == 0 and out.decode() == same, err  # one side's own rule, at no place the other wrote one


def test_bullets_both_sides_add_at_the_end_of_a_list_stay_one_tight_list(tmp_path: Path) -> None:
    """THEIRS' additions after OURS' at a list's end: no blank line between THEIRS' own items."""
    last = "* Announce the release in the team channel"
    ours = BASE.replace(last, f"{last}\n* Sign the tags\n* Attach the checksums")
    theirs = BASE.replace(last, f"{last}\n* Update the website\n* Publish the docs\n* Close the milestone")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 0, err
    added = "* Update the website\n* Publish the docs\n* Close the milestone"
    assert out.decode() == ours.replace("* Attach the checksums", f"* Attach the checksums\n{added}")


def test_overlapping_rewordings_exit_1_with_markers_around_that_item_only(tmp_path: Path) -> None:
    """The same bullet reworded differently: exit 1, markers around that bullet, count on stderr."""
    ours = BASE.replace("2. Run the full test suite", "2. Run the full test suite and the linters")
    theirs = BASE.replace("2. Run the full test suite", "2. Run the smoke tests only")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 1
    assert "1 conflict" in err
    assert "lines 15-21" in err
    marked = "\n".join(
        [
            "<<<<<<< ours",
            "2. Run the full test suite and the linters",
            "||||||| base",
            "2. Run the full test suite",
            "=======",
            "2. Run the smoke tests only",
            ">>>>>>> theirs",
        ]
    )
    assert out.decode() == ours.replace("2. Run the full test suite and the linters", marked)


def test_reworded_against_removed_is_a_conflict_never_a_pick(tmp_path: Path) -> None:
    """One side rewords a bullet the other removes: exit 1, both versions shown."""
    ours = BASE.replace("* Never release on a Friday", "* Never release on a Friday or before a holiday")
    theirs = BASE.replace("* Never release on a Friday\n", "")
    code, out, _ = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 1
    text = out.decode()
    assert "<<<<<<< ours\n* Never release on a Friday or before a holiday\n||||||| base\n" in text
    assert "=======\n>>>>>>> theirs\n* Keep the changelog" in text


def test_a_section_removed_in_theirs_that_ours_only_spaced_out_goes_with_no_conflict(tmp_path: Path) -> None:
    """Ours only puts a blank line into a table (which splits off its last row: the table changed
    as a unit); theirs removes the section. Ours wrote the section as it was, so it goes, and no
    conflict is reported for the table inside it; before, the table's conflict was counted while
    its lines went with the section, and the merge stopped with an internal error."""
    base = "# Release\n\n## Matrix\n\n| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n\n## Steps\n\n- Tag it\n"
    ours = base.replace("| 1 | 2 |\n", "| 1 | 2 |\n\n")
    theirs = "# Release\n\n## Steps\n\n- Tag it\n"
    code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs))
    assert (code, out.decode(), err) == (0, theirs, "")


def test_an_empty_setext_heading_keeps_its_underline_when_theirs_adds_after_it(tmp_path: Path) -> None:
    """A heading written over a ``-`` line with nothing under it ends at its underline: THEIRS'
    new section goes after both lines. The section ended at its title line, so the new section
    went between title and underline, the result no longer read as either side, and the merge
    fell back to a line merge with a conflict."""
    base = "# Release\n\n- Tag it\n"
    ours = base + "\nExamples\n-\n"
    theirs = base + "\n## Setup\n\n- Install it\n"
    code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs))
    assert (code, out.decode(), err) == (0, ours + "\n## Setup\n\n- Install it\n", "")


def test_a_paraphrase_against_a_removal_is_a_conflict_not_a_re_added_bullet(tmp_path: Path) -> None:
    """Ours restates a bullet in other words, in its place; theirs removes it. Too few letters
    stay for the similarity cutoff, but the pair score reads one instruction: a conflict, where
    taking ours as an added bullet would silently undo theirs' removal."""
    old, new = (
        "Never release on a Friday",
        "**Release days**: Monday to Thursday only, so fixes can land before the weekend",
    )
    assert similarity(old, new) < ITEM_CUTOFF - IN_PLACE_ALLOWANCE
    ours = BASE.replace(f"* {old}", f"* {new}")
    theirs = BASE.replace(f"* {old}\n", "")
    code, out, err = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 1, err
    assert f"<<<<<<< ours\n* {new}\n||||||| base\n* {old}\n=======\n>>>>>>> theirs\n" in out.decode()
    assert "changed in ours, removed in theirs" in err


def test_marker_size_is_honoured(tmp_path: Path) -> None:
    """--marker-size sets the length of every marker, as git's %L asks."""
    ours = BASE.replace("1. Freeze main", "1. Freeze main for an hour")
    theirs = BASE.replace("1. Freeze main", "1. Freeze main and the release branch")
    code, out, _ = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs), "--marker-size", "10")
    assert code == 1
    lines = out.decode().splitlines()
    assert {"<" * 10 + " ours", "|" * 10 + " base", "=" * 10, ">" * 10 + " theirs"} <= set(lines)


def test_untouched_parts_of_a_crlf_star_wrapped_ours_keep_their_bytes(tmp_path: Path) -> None:
    """OURS in CRLF with ``*`` bullets and a wrapped paragraph: only the unit THEIRS changed
    differs, and the bullet THEIRS added takes OURS' marker and line ending."""
    ours = BASE.replace("\n", "\r\n")
    theirs = BASE.replace("Freeze main", "Freeze main and announce it").replace(
        "* Announce the release in the team channel",
        "* Announce the release in the team channel\n* Thank the contributors",
    )
    code, out, _ = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 0
    want = ours.replace("1. Freeze main", "1. Freeze main and announce it").replace(
        "* Announce the release in the team channel\r\n",
        "* Announce the release in the team channel\r\n* Thank the contributors\r\n",
    )
    assert out == want.encode()


def test_a_rewrap_in_ours_and_a_word_in_theirs_do_not_conflict(tmp_path: Path) -> None:
    """Rewrapping is formatting: THEIRS' word change lands and OURS' other lines stay."""
    ours = BASE.replace("write the notes\nfrom the merged", "write\nthe notes from the merged")
    theirs = BASE.replace("grouped by area", "grouped by area and by risk")
    code, out, _ = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 0
    assert "grouped by area and by risk" in out.decode()
    merged = "Cut releases from main after the checks pass, and write the notes\nfrom the merged pull requests, "
    kept = "Cut releases from main after the checks pass, and write\nthe notes from the merged pull requests, "
    assert out.decode().replace(merged + "grouped by area and by risk.", "") == ours.replace(
        kept + "grouped by area.", ""
    )


def test_one_unit_changed_on_different_lines_by_each_side_merges_as_git_would(tmp_path: Path) -> None:
    """A paragraph or a code block whose first line OURS changed and last line THEIRS changed
    merges line by line (git's diff3 on that unit alone), both changes reported; the same line,
    or two lines next to each other, changed on both sides are still a conflict around that unit."""
    steps = "Run the checks,\nthen tag the commit,\nthen publish.\n"
    example = f"\n## Example\n\n{steps}\n```bash\nmake check\nmake tag\nmake publish\n```\n"
    base = BASE + example
    ours = base.replace("Run the checks,", "Run every check,").replace("make check", "make check lint")
    theirs = base.replace("then publish.", "then publish the packages.").replace("make publish", "make ship")
    code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    wanted = ours.replace("then publish.", "then publish the packages.").replace("make publish", "make ship")
    assert data["merged"] == wanted
    assert {(t["op"], t["kind"]) for t in data["taken"]["theirs"]} == {("reworded", "item")}
    assert len(data["taken"]["theirs"]) == len(data["taken"]["ours"]) == 2
    for clash in ("Run all the checks,", "then tag the release commit,"):
        theirs = base.replace("Run the checks," if clash.startswith("Run") else "then tag the commit,", clash)
        code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs), "--format", "json")
        assert code == 1, clash
        (conflict,) = json.loads(out)["conflicts"]
        assert conflict["why"] == "changed on both sides" and clash in conflict["theirs"]["text"]


def test_a_code_block_inside_a_step_merges_line_by_line_in_its_indentation(tmp_path: Path) -> None:
    """The same for a code block nested in a numbered step: read in the step's indentation."""
    base = BASE.replace(
        "3. Tag the release\n", "3. Tag the release:\n\n   ```bash\n   git tag v1\n   git push\n   make notes\n   ```\n"
    )
    ours = base.replace("git tag v1", "git tag -s v1")
    theirs = base.replace("make notes", "make notes changelog")
    code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs))
    assert code == 0, err
    assert out.decode() == ours.replace("make notes", "make notes changelog")


def test_output_file_is_written_and_the_inputs_are_not_touched(tmp_path: Path) -> None:
    """-o writes the merge there; BASE, OURS and THEIRS keep their bytes."""
    ours = BASE.replace("Prepares releases", "Prepares and ships releases")
    theirs = BASE.replace("tools: Read, Bash", "tools: Read, Bash, Grep")
    paths = write(tmp_path, base=BASE, ours=ours, theirs=theirs)
    before = [Path(p).read_bytes() for p in paths]
    code, out, _ = invoke(*paths, "-o", str(tmp_path / "out.md"))
    assert code == 0
    assert out == b""
    assert "tools: Read, Bash, Grep" in (tmp_path / "out.md").read_text()
    assert [Path(p).read_bytes() for p in paths] == before


def test_output_onto_base_or_theirs_is_refused(tmp_path: Path) -> None:
    """Writing over BASE or THEIRS is an error: exit 2, nothing written."""
    paths = write(tmp_path, base=BASE, ours=BASE, theirs=BASE.replace("Freeze", "Lock"))
    for target in (paths[0], paths[2]):
        code, _, err = invoke(*paths, "-o", target)
        assert code == 2
        assert err.count("\n") == 1 and "BASE or THEIRS" in err
    assert Path(paths[0]).read_text() == BASE


def test_json_says_what_came_from_each_side(tmp_path: Path) -> None:
    """JSON (version 1): the changes taken from each side, each conflict with its lines, the text."""
    ours = BASE.replace("3. Tag the release", "3. Tag the release\n4. Push the tag").replace("Read, Bash", "Read")
    theirs = BASE.replace("* Never release on a Friday", "* Never release on a Friday afternoon")
    code, out, _ = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["version"] == 1 and data["clean"] is True and data["conflicts"] == []
    assert {(t["op"], t["kind"], t["text"]) for t in data["taken"]["ours"]} == {
        ("added", "item", "Push the tag"),
        ("changed", "field", "tools"),
    }
    assert [(t["op"], t["text"]) for t in data["taken"]["theirs"]] == [
        ("reworded", "Never release on a Friday afternoon")
    ]
    assert "Never release on a Friday afternoon" in data["merged"]


def test_json_conflicts_carry_their_lines_and_sides(tmp_path: Path) -> None:
    """Each conflict in JSON names its kind, its marker lines and the three versions."""
    ours = BASE.replace("tools: Read, Bash", "tools: Read, Bash\nmodel: opus")
    theirs = BASE.replace("tools: Read, Bash", "tools: Read, Bash\nmodel: haiku")
    code, out, _ = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs), "--format", "json")
    assert code == 1
    (conflict,) = json.loads(out)["conflicts"]
    assert conflict["kind"] == "field" and conflict["label"] == "model"
    assert conflict["lines"] == [5, 10]
    assert conflict["ours"]["text"] == "model: opus" and conflict["theirs"]["text"] == "model: haiku"
    assert conflict["base"] is None


def test_one_input_from_standard_input(tmp_path: Path) -> None:
    """- reads one of the three from standard input."""
    base, _ours, theirs = write(tmp_path, base=BASE, ours=BASE, theirs=BASE.replace("Freeze main", "Freeze it"))
    code, out, _ = invoke(base, "-", theirs, stdin=BASE.encode())
    assert code == 0
    assert "1. Freeze it" in out.decode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x02\x03\x04\x05binary", "binary file"),
        (None, "no such file"),
        ("folder", "is a directory"),
        (b"\xff\xfe\x00\xd8", "UTF-16"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, content: bytes | str | None, message: str) -> None:
    """A binary, missing, folder or broken UTF-16 input: one error line naming the file, exit 2."""
    base, ours, theirs = write(tmp_path, base=BASE, ours=BASE, theirs=BASE)
    bad = tmp_path / "bad.md"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    elif content == "folder":
        bad.mkdir()
    for args in ([str(bad), ours, theirs], [base, str(bad), theirs], [base, ours, str(bad)]):
        code, out, err = invoke(*args)
        assert code == 2
        assert out == b""
        assert err.startswith(f"agentmerge: error: {bad}") and message in err and err.count("\n") == 1


def test_bad_input_under_git_names_the_file_and_the_side(tmp_path: Path) -> None:
    """With --path (git's %P) the message names the repository path and which version is bad."""
    base, ours = write(tmp_path, base=BASE, ours=BASE)
    (tmp_path / "t.bin").write_bytes(b"\x00" * 64)
    code, _, err = invoke(base, ours, str(tmp_path / "t.bin"), "--path", ".claude/agents/x.md")
    assert code == 2
    assert err.startswith("agentmerge: error: .claude/agents/x.md") and "theirs version" in err


def test_beyond_max_items_a_merge_pairs_only_unchanged_instructions_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sides holding more than MAX_ITEMS items with BASE: the merge pairs unchanged instructions
    only (an edit reads as a removal and an addition) and warns, naming the side."""
    from agentmerge import match

    theirs = BASE.replace("Tag the release", "Tag the release candidate")
    base_path, ours_path, theirs_path = write(tmp_path, base=BASE, ours=BASE, theirs=theirs)
    monkeypatch.setattr(match, "MAX_ITEMS", 4)
    done = run_cli("merge", base_path, ours_path, theirs_path)
    assert done.exit_code == 0
    assert "Tag the release candidate" in done.stdout and "Tag the release\n" not in done.stdout
    assert f"warning: {theirs_path}: holds, with {base_path}," in done.stderr
    assert f"warning: {ours_path}: holds, with {base_path}," in done.stderr


def test_an_internal_error_leaves_git_a_line_merge_in_ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As git's driver (-o OURS), a defect in the merge still leaves OURS' changes in %A: the
    line-level merge with markers, and a non-zero exit; never a lost file."""
    ours = BASE.replace("Freeze main", "Freeze main now")
    theirs = BASE.replace("Tag the release", "Tag the release candidate")
    base_path, ours_path, theirs_path = write(tmp_path, base=BASE, ours=ours, theirs=theirs)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(merge_module, "merge_texts", broken)
    code = main(["merge", base_path, ours_path, theirs_path, "-o", ours_path, "--path", "x.md"])
    assert code == 2
    text = Path(ours_path).read_text()
    assert "1. Freeze main now" in text and "3. Tag the release candidate" in text


def test_an_internal_error_with_another_output_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside the driver's use (-o is not OURS), an internal error writes no output at all."""
    paths = write(tmp_path, base=BASE, ours=BASE, theirs=BASE)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(merge_module, "merge_texts", broken)
    assert main(["merge", *paths, "-o", str(tmp_path / "out.md")]) == 2
    assert not (tmp_path / "out.md").exists()


def test_two_seeds_merge_into_a_file_that_parses(tmp_path: Path) -> None:
    """Real agents of different authors as OURS and THEIRS: a result, conflicts or not, exit 0/1."""
    code, out, err = invoke(str(SEEDS[0]), str(SEEDS[1]), str(SEEDS[0]))
    assert code == 0, err
    assert out == SEEDS[1].read_bytes()


def test_ours_byte_order_mark_and_crlf_stay(tmp_path: Path) -> None:
    """A UTF-8 byte order mark and CRLF endings in OURS are in the merge, bytes as they were."""
    ours = "\ufeff" + BASE.replace("\n", "\r\n")
    theirs = BASE.replace("* Never release on a Friday\n", "")
    code, out, _ = invoke(*write(tmp_path, base=BASE, ours=ours, theirs=theirs))
    assert code == 0
    assert out == ours.replace("* Never release on a Friday\r\n", "").encode("utf-8")
    assert out.startswith(b"\xef\xbb\xbf---\r\n")


def test_bytes_that_are_not_utf8_stay_as_they_were(tmp_path: Path) -> None:
    """A Latin-1 byte in OURS and in THEIRS' new item, and a NUL character in OURS, come through the
    merge as the bytes they were (to standard output and with -o), each side warned about once;
    the JSON report, which is UTF-8, shows them as U+FFFD."""
    base = BASE.encode("utf-8")
    ours = base.replace(b"from the merged", b"from the caf\xe9 merged").replace(b"Tag the", b"Tag\x00 the")
    theirs = base + b"* Thank the cr\xe8me of contributors\n"
    paths = []
    for name, data in (("base", base), ("ours", ours), ("theirs", theirs)):
        (tmp_path / f"{name}.md").write_bytes(data)
        paths.append(str(tmp_path / f"{name}.md"))
    wanted = ours + b"* Thank the cr\xe8me of contributors\n"
    code, out, err = invoke(*paths)
    assert (code, out) == (0, wanted), err
    assert "ours.md:10: is not valid UTF-8; the bad bytes are kept as they are" in err
    assert "ours.md:16: contains NUL characters; they are kept as they are" in err
    assert "theirs.md:23: is not valid UTF-8" in err and "line by line" not in err
    code, _, _ = invoke(*paths, "-o", paths[1])
    assert (code, (tmp_path / "ours.md").read_bytes()) == (0, wanted)
    (tmp_path / "ours.md").write_bytes(ours)
    code, out, _ = invoke(*paths, "--format", "json")
    assert code == 0
    assert json.loads(out)["merged"].endswith("* Thank the cr\ufffdme of contributors\n")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_ours_is_merged_into_utf16(tmp_path: Path, codec: str) -> None:
    """OURS in UTF-16 (with its byte order mark and CRLF) gets THEIRS' new item in its own encoding
    and byte order, to standard output and with -o; THEIRS may be UTF-8, BASE either."""
    added = "* Thank the contributors\n"
    ours = BASE.replace("\n", "\r\n").replace("from the merged", "from the caf\u00e9 merged")

    def utf16(text: str) -> bytes:
        return "\ufeff".encode(codec) + text.encode(codec)

    paths = []
    for name, data in (("base", utf16(BASE)), ("ours", utf16(ours)), ("theirs", (BASE + added).encode())):
        (tmp_path / f"{name}.md").write_bytes(data)
        paths.append(str(tmp_path / f"{name}.md"))
    wanted = utf16(ours + added.replace("\n", "\r\n"))
    code, out, err = invoke(*paths)
    assert (code, out) == (0, wanted), err
    code, _, err = invoke(*paths, "-o", paths[1])
    assert (code, (tmp_path / "ours.md").read_bytes()) == (0, wanted), err
    code, out, _ = invoke(paths[0], paths[1], paths[0])
    assert (code, out) == (0, wanted)


def test_bytes_that_utf16_cannot_hold_are_replaced_not_a_crash(tmp_path: Path) -> None:
    """OURS in UTF-16 and THEIRS with a byte that is not UTF-8 (Latin-1): UTF-16 has no way to write
    that byte, so the merge writes U+FFFD for it and the warning says so; before, the merge stopped
    with an internal error."""
    added = "* Thank the cr\u00e8me of contributors\n"

    def utf16(text: str) -> bytes:
        return "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")

    paths = []
    for name, data in (("base", BASE.encode()), ("ours", utf16(BASE)), ("theirs", (BASE + added).encode("latin-1"))):
        (tmp_path / f"{name}.md").write_bytes(data)
        paths.append(str(tmp_path / f"{name}.md"))
    wanted = utf16(BASE + added.replace("\u00e8", "\ufffd"))
    code, out, err = invoke(*paths)
    assert (code, out) == (0, wanted), err
    assert "theirs.md:23: is not valid UTF-8; bad bytes were replaced with U+FFFD" in err
    code, _, err = invoke(*paths, "-o", paths[1])
    assert (code, (tmp_path / "ours.md").read_bytes()) == (0, wanted), err


def test_when_ours_is_base_the_merge_is_theirs_as_written(tmp_path: Path) -> None:
    """OURS unchanged: THEIRS comes through byte for byte, its reformatting included, as git would."""
    theirs = BASE.replace("* ", "- ").replace("\n", "\r\n").replace("Tag the release", "Tag and sign the release")
    code, out, _ = invoke(*write(tmp_path, base=BASE, ours=BASE, theirs=theirs))
    assert code == 0
    assert out == theirs.encode()


def test_output_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    """-o onto a folder (or a device) is one error line and exit 2; nothing is replaced."""
    paths = write(tmp_path, base=BASE, ours=BASE, theirs=BASE.replace("Freeze", "Lock"))
    (tmp_path / "folder").mkdir()
    code, out, err = invoke(*paths, "-o", str(tmp_path / "folder"))
    assert code == 2 and out == b""
    assert err.startswith("agentmerge: error: ") and err.count("\n") == 1
    assert (tmp_path / "folder").is_dir()


def test_the_readme_example_merges_as_shown(tmp_path: Path) -> None:
    """The README's example: both add a bullet, ours switches to ``*``, theirs rewords one."""
    base = "- Check the schema\n- Use the envelope\n"
    ours = "* Check the schema\n* Use the envelope\n* Paginate with cursors\n"
    theirs = "- Check the schema\n- Use the shared envelope\n- Name fields in snake_case\n"
    code, out, _ = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs))
    assert code == 0
    want = "* Check the schema\n* Use the shared envelope\n* Paginate with cursors\n* Name fields in snake_case\n"
    assert out.decode() == want
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert want in readme.replace("```text\n", "")


def test_a_cursor_glob_quoted_on_one_side_is_that_sides_change(tmp_path: Path) -> None:
    """YAML reads ``"*.ts"`` as ``*.ts``; Cursor reads the quotes, so quoting is a change to
    merge like any other, and in a file whose format reads the key as YAML it is none."""
    rule = "---\ndescription: TS\nglobs: {}\nalwaysApply: false\n---\n\n- Use strict mode.\n"
    base, quoted = rule.format("**/*.ts"), rule.format('"**/*.ts"')
    ours = base + "- Prefer interfaces.\n"
    for suffix, expected in ((".mdc", quoted + "- Prefer interfaces.\n"), (".md", ours)):
        paths = []
        for name, text in (("base", base), ("ours", ours), ("theirs", quoted)):
            (tmp_path / f"{name}{suffix}").write_text(text, encoding="utf-8")
            paths.append(str(tmp_path / f"{name}{suffix}"))
        code, out, err = invoke(*paths)
        assert code == 0, err
        assert out.decode() == expected, suffix


def test_under_git_the_format_comes_from_the_path_not_the_temporary_files(tmp_path: Path) -> None:
    """git hands the driver three temporary files and the real name as ``--path``: the Cursor
    rule's quoting still is one side's change, as it is when the files carry the name."""
    rule = "---\ndescription: TS\nglobs: {}\nalwaysApply: false\n---\n\n- Use strict mode.\n"
    base, quoted = rule.format("**/*.ts"), rule.format('"**/*.ts"')
    ours = base + "- Prefer interfaces.\n"
    paths = write(tmp_path, base=base, ours=ours, theirs=quoted)
    code, out, err = invoke(*paths, "--path", ".cursor/rules/ts.mdc")
    assert code == 0, err
    assert out.decode() == quoted + "- Prefer interfaces.\n"


COPILOT = "---\ndescription: Reviews code\ntools: {}\n---\n\n- Name the file and line of each problem.\n"


@pytest.mark.parametrize(
    ("theirs", "merged", "as_written"),
    [
        # Theirs removed the tool ours only wrote by its name now: it stays removed.
        ("['fetch']", "['web/fetch']", "['search/codebase', 'web/fetch']"),
        # Theirs added a tool: it lands beside ours' names, in ours' quotes.
        (
            "['codebase', 'fetch', 'problems']",
            "['search/codebase', 'web/fetch', 'problems']",
            "['search/codebase', 'web/fetch', 'problems']",
        ),
    ],
)
def test_a_tool_written_by_its_name_now_is_the_same_tool_to_merge(
    tmp_path: Path, theirs: str, merged: str, as_written: str
) -> None:
    """VS Code reads ``codebase`` as ``search/codebase``: a side that only renamed its tools (as
    ``check --fix`` does) changed nothing, so the other side's removal holds and is not undone by
    the new name, and the other side's addition is merged into ours' names."""
    base = COPILOT.format("['codebase', 'fetch']")
    ours = COPILOT.format("['search/codebase', 'web/fetch']")
    paths = write(tmp_path, base=base, ours=ours, theirs=COPILOT.format(theirs))
    code, out, err = invoke(*paths, "--path", ".github/agents/reviewer.agent.md")
    assert code == 0, err
    assert out.decode() == COPILOT.format(merged)
    # The other way round, theirs' renaming is no change and ours' edit stands as written.
    code, out, err = invoke(paths[0], paths[2], paths[1], "--path", ".github/agents/reviewer.agent.md")
    assert code == 0, err
    assert out.decode() == COPILOT.format(theirs)
    # A Claude Code agent reads its tools as written: there ours replaced two tools with two others.
    code, out, err = invoke(*paths, "--path", ".claude/agents/reviewer.md")
    assert code == 0, err
    assert out.decode() == COPILOT.format(as_written)


@pytest.mark.parametrize(
    ("ours", "theirs", "merged"),
    [
        # Ours only wrote the names as a block list; theirs added one: in ours' style.
        ("tools:\n  - Read\n  - Bash", "tools: Read, Bash, Grep", "tools:\n  - Read\n  - Bash\n  - Grep"),
        # Both added one to a list in quotes: the quotes stay.
        (
            "tools: ['Read', 'Bash', 'Glob']",
            "tools: ['Read', 'Bash', 'Grep']",
            "tools: ['Read', 'Bash', 'Glob', 'Grep']",
        ),
        (
            'tools:\n  - "Read"\n  - "Bash"\n  - "Glob"',
            "tools: Read, Bash, Grep",
            'tools:\n  - "Read"\n  - "Bash"\n  - "Glob"\n  - "Grep"',
        ),
    ],
    ids=["restyled", "flow-quotes", "block-quotes"],
)
def test_a_list_key_theirs_changed_is_written_as_ours_writes_it(
    tmp_path: Path, ours: str, theirs: str, merged: str
) -> None:
    """A list of names merges as a set, written as OURS writes the key: when ours only wrote the
    same names another way, theirs' lines were taken as theirs wrote them, and names merged into
    a list in quotes were written without them."""
    base = BASE.replace("tools: Read, Bash", "tools: ['Read', 'Bash']" if "'" in ours else "tools: Read, Bash")
    code, out, err = invoke(
        *write(
            tmp_path,
            base=base,
            ours=BASE.replace("tools: Read, Bash", ours),
            theirs=BASE.replace("tools: Read, Bash", theirs),
        )
    )
    assert code == 0, err
    assert out.decode().startswith(f"---\nname: release-manager\ndescription: Prepares releases\n{merged}\n---\n")


def test_a_removed_tool_set_that_one_side_narrowed_is_a_conflict(tmp_path: Path) -> None:
    """``runCommands`` is four tools to VS Code. Theirs kept one of them, ours still lists the set
    and added a tool: keeping the set would grant three tools theirs removed, dropping it would
    lose the one theirs kept, so the key is a conflict rather than either."""
    base = COPILOT.format("['runCommands', 'fetch']")
    ours = COPILOT.format("['runCommands', 'fetch', 'problems']")
    theirs = COPILOT.format("['execute/runInTerminal', 'fetch']")
    code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs), "--path", "reviewer.agent.md")
    assert code == 1 and "field 'tools': changed on both sides" in err
    assert "<<<<<<< ours\ntools: ['runCommands', 'fetch', 'problems']\n" in out.decode()


@pytest.mark.parametrize(
    ("head", "warned"),
    [
        ("# T\n\n" + "word " * 21_000 + "\n", "the line is 105,000 characters long"),
        ("---\n" + "".join(f"k{n}: v\n" for n in range(10_000)) + "---\n", "the frontmatter is 86 KiB"),
    ],
)
def test_a_side_the_parser_refuses_is_merged_line_by_line(tmp_path: Path, head: str, warned: str) -> None:
    """A line longer than the parser takes, or frontmatter larger than it reads, is no defect: the
    three sides merge as git's own line merge would, with a warning naming the file and line, and
    a conflict where both sides changed the same lines (it was "internal error ... report it")."""
    base = head + "\n- Keep the changelog.\n- Review each change.\n- Tag releases.\n"
    ours = base.replace("- Keep the changelog.", "- Keep the changelog current.")
    theirs = base.replace("- Tag releases.", "- Tag releases with the version.")
    paths = write(tmp_path, base=base, ours=ours, theirs=theirs)
    result = run_cli("merge", *paths, "-o", str(tmp_path / "out.md"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"agentmerge: warning: {paths[0]}:")
    assert warned in result.stderr and result.stderr.rstrip().endswith("merged line by line instead")
    merged = (tmp_path / "out.md").read_text(encoding="utf-8")
    assert merged.endswith("- Keep the changelog current.\n- Review each change.\n- Tag releases with the version.\n")
    clash = write(tmp_path, base=base, ours=ours, theirs=base.replace("- Keep the changelog.", "- Drop it."))
    result = run_cli("merge", *clash, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["method"] == "lines" and [c["kind"] for c in data["conflicts"]] == ["file"]
    assert "<<<<<<< ours\n- Keep the changelog current.\n||||||| base\n" in data["merged"]


def test_a_merge_agentmerge_could_not_read_back_is_merged_line_by_line(tmp_path: Path) -> None:
    """Each side adds 5,000 tools to one list, each side under the 64 KiB frontmatter limit; the
    structured merge kept both, a 95 KiB frontmatter that check, diff and the next merge refuse,
    and exited 0. It now says so and merges as git's line merge does: both additions between
    conflict markers for the user to settle, exit 1."""
    base = "---\nname: x\ndescription: Does x.\ntools:\n  - Read\n---\n\n- Do x.\n"
    added = ("".join(f"  - {prefix}{n}\n" for n in range(5_000)) for prefix in "lr")
    ours, theirs = (base.replace("  - Read\n", "  - Read\n" + tools) for tools in added)
    paths = write(tmp_path, base=base, ours=ours, theirs=theirs)
    assert all(run_cli("check", path).exit_code == 0 for path in paths)
    result = run_cli("merge", *paths, "-o", str(tmp_path / "out.md"))
    assert result.exit_code == 1
    assert (
        f"agentmerge: warning: {paths[1]}: the structured merge would be refused when read back, as its "
        "frontmatter is 95 KiB, more than agentmerge reads (64 KiB)\n" in result.stderr
    )
    assert "merged line by line instead" in result.stderr
    merged = (tmp_path / "out.md").read_text(encoding="utf-8")
    assert merged.count("\n<<<<<<< ") == 1 and "\n  - l4999\n" in merged and "\n  - r4999\n" in merged


def test_steps_reordered_apart_at_the_top_of_the_file_are_one_conflict_named_so(tmp_path: Path) -> None:
    """Without a heading the list's unit is the top of the file: the conflict says so, not "section ''"."""
    head = "---\nname: r\ndescription: d\n---\n\n"
    steps = ["Read the diff", "Run the tests", "Compare with the guide", "Write the review"]
    sides = {"base": [0, 1, 2, 3], "ours": [0, 2, 1, 3], "theirs": [1, 0, 2, 3]}
    for name, order in sides.items():
        (tmp_path / f"{name}.md").write_text(
            head + "".join(f"{n}. {steps[i]}\n" for n, i in enumerate(order, 1)), encoding="utf-8"
        )
    result = run_cli("merge", "base.md", "ours.md", "theirs.md", cwd=tmp_path)
    assert result.exit_code == 1
    assert "section '(top of file)': steps put in different orders on both sides" in result.stderr
    assert result.stdout.count("1. Read the diff") == 2 and result.stdout.count("<<<<<<<") == 1


STEPS = ("Read the ticket", "Reproduce the bug", "Write a failing test", "Fix the code", "Run the suite", "Open the PR")


def _steps(*order: int) -> str:
    steps = "".join(f"{n}. {STEPS[i]}\n" for n, i in enumerate(order, 1))
    return f"## Steps\n\n{steps}\n## Notes\n\n- Be brief.\n"


@pytest.mark.parametrize(
    ("ours", "theirs", "merged"),
    [
        # OURS swaps the first two steps, THEIRS the last two: both swaps.
        ((1, 0, 2, 3), (0, 1, 3, 2), (1, 0, 3, 2)),
        # Both move step 2 down; only THEIRS puts it after the last step.
        ((0, 2, 3, 4, 1, 5), (0, 2, 3, 4, 5, 1), (0, 2, 3, 4, 5, 1)),
        # OURS moves C up (C A B), THEIRS moves A down (B C A): C before both, B before A.
        ((2, 0, 1), (1, 2, 0), (2, 1, 0)),
    ],
)
def test_steps_both_sides_reorder_keep_both_orders_whichever_side_is_ours(
    tmp_path: Path, ours: tuple[int, ...], theirs: tuple[int, ...], merged: tuple[int, ...]
) -> None:
    """Each pair of steps goes as the side that changed its order put it: the merge followed
    OURS' list and placed THEIRS' moved step after its neighbour there, so OURS swapping steps
    1-2 and THEIRS 3-4 gave "Reproduce, Fix, Read, Write" (exit 0), and the result changed with
    which side was OURS."""
    base = _steps(*range(len(ours)))
    for first, second in ((ours, theirs), (theirs, ours)):
        code, out, err = invoke(*write(tmp_path, base=base, ours=_steps(*first), theirs=_steps(*second)))
        assert code == 0, err
        assert out.decode() == _steps(*merged)


def test_steps_both_sides_reorder_around_a_new_step_are_a_conflict(tmp_path: Path) -> None:
    """A step THEIRS added among steps both sides reordered has no place either side meant."""
    base, ours = _steps(0, 1, 2, 3), _steps(1, 0, 2, 3)
    theirs = _steps(0, 1, 3, 2).replace("3. Fix the code", "3. Ask the reporter\n3. Fix the code")
    code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs))
    assert code == 1
    assert "section 'Steps': steps put in different orders on both sides" in err
    assert "3. Ask the reporter" in out.decode() and out.decode().count("<<<<<<<") == 1


def test_an_item_both_sides_moved_and_one_reworded_is_moved_and_reworded(tmp_path: Path) -> None:
    """Both sides move a bullet from a checklist to "Approach"; one also rewords it. Across
    sections of two roles ``diff`` reads that rewording as a removal and an addition, so the
    merge kept the new wording and conflicted over a removal no side made ("moved in ours,
    removed in theirs"), the old wording left beside it. Both sides putting it under one parent
    pairs the two wordings there."""
    base = (
        "## Approach\n\n- Lean on pattern matching\n- Keep processes small\n\n"
        "## Quality Checklist\n\n- Use of struct types over bare maps\n- Typespecs on public functions\n"
    )
    moved = base.replace("- Use of struct types over bare maps\n", "").replace(
        "- Keep processes small\n", "- Keep processes small\n- Use of struct types over bare maps\n"
    )
    reworded = moved.replace("- Use of struct", "- Prefer struct")
    for ours, theirs in ((moved, reworded), (reworded, moved)):
        code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs))
        assert code == 0, err
        assert out.decode() == reworded
    # Put by THEIRS under another parent, it is still a conflict.
    elsewhere = (
        base.replace("- Use of struct types over bare maps\n", "")
        + "\n## Notes\n\n- Prefer struct types over bare maps\n"
    )
    code, out, err = invoke(*write(tmp_path, base=base, ours=moved, theirs=elsewhere))
    assert code == 1 and out.decode().count("<<<<<<<") == 1


def test_a_conflict_inside_a_code_block_marks_the_lines_both_sides_changed(tmp_path: Path) -> None:
    """Both sides edit one line of a code block of twenty, and THEIRS another line too: the
    conflict is around that one line, as git marks it, with THEIRS' other edit merged; it was
    around the whole block, written three times over. The report gives the line on each side."""
    code = "".join(f"step_{n} = run({n})\n" for n in range(1, 21))
    base = f"## Example\n\n```python\n{code}```\n"
    ours = base.replace("run(10)", "run(10, fast=True)")
    theirs = base.replace("run(10)", "run(10, retries=3)").replace("run(2)\n", "run(2)  # warm up\n")
    result = run_cli("merge", *write(tmp_path, base=base, ours=ours, theirs=theirs), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    expected = theirs.replace(
        "step_10 = run(10, retries=3)\n",
        "<<<<<<< ours\nstep_10 = run(10, fast=True)\n||||||| base\nstep_10 = run(10)\n=======\n"
        "step_10 = run(10, retries=3)\n>>>>>>> theirs\n",
    )
    assert data["merged"] == expected
    [conflict] = data["conflicts"]
    assert [conflict[side]["line"] for side in ("ours", "base", "theirs")] == [13, 13, 13]
    assert conflict["ours"]["text"] == "step_10 = run(10, fast=True)" and conflict["why"] == "changed on both sides"


def test_emphasis_a_code_span_or_strikethrough_one_side_adds_is_kept(tmp_path: Path) -> None:
    """THEIRS marks a rule bold, a tool as code and a rule struck out; OURS edits another line.
    The merge paired units in the diff's normal form, which leaves markup out, so THEIRS' three
    changes counted as none and were lost. The style of a mark is still no change: OURS' ``_x_``
    against BASE's ``*x*`` is the same emphasis."""
    base = "## Rules\n\n- Never release on a Friday\n- Run pytest first\n- Use the old release script\n"
    base += "- Keep it *short*\n"
    ours = base.replace("- Keep it *short*", "- Keep it _short_\n- Thank the contributors")
    theirs = (
        base.replace("- Never release", "- **Never** release")
        .replace("Run pytest", "Run `pytest`")
        .replace("- Use the old release script", "- ~~Use the old release script~~")
    )
    code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs))
    assert code == 0, err
    assert out.decode() == (
        "## Rules\n\n- **Never** release on a Friday\n- Run `pytest` first\n- ~~Use the old release script~~\n"
        "- Keep it _short_\n- Thank the contributors\n"
    )


def test_a_value_of_several_lines_merges_line_by_line_when_the_sides_edit_apart(tmp_path: Path) -> None:
    """A folded description (or an mcp-servers block) was one unit: an edit of its first line and
    one of its last conflicted over the whole value, three times repeated, where git merges."""
    folded = "  Senior engineer for firmware\n  on Cortex-M parts.\n  Writes reliable code\n  for DMA and drivers.\n"
    base = f"---\nname: a\ndescription: >\n{folded}---\n\n- Read the datasheet\n"
    ours = base.replace("Senior engineer", "Principal engineer")
    theirs = base.replace("for DMA and drivers", "for DMA, RTOS and drivers")
    code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs))
    assert code == 0, err
    assert out.decode() == ours.replace("for DMA and drivers", "for DMA, RTOS and drivers")
    # The same line changed on both sides is still a conflict over the value.
    theirs = base.replace("Senior engineer", "Staff engineer")
    code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs))
    assert code == 1 and "field 'description': changed on both sides" in err


def test_a_value_respelled_on_one_side_is_that_sides_change(tmp_path: Path) -> None:
    """``version: 1.1`` to ``version: 1.10`` reads as one number here, and ``diff`` reports it (a
    version written another way): THEIRS' respelling was dropped for BASE's, silently. It is a
    change, taken as any other; respelled on one side and changed on the other, it conflicts."""
    base = "---\nname: a\ndescription: d\nversion: 1.1\n---\n\n- Check the tests\n- Run lint\n"
    ours = base.replace("Run lint", "Run the linter")
    theirs = base.replace("version: 1.1", "version: 1.10")
    for sides in ((ours, theirs), (theirs, ours)):
        code, out, err = invoke(*write(tmp_path, base=base, ours=sides[0], theirs=sides[1]))
        assert code == 0, err
        assert out.decode() == ours.replace("version: 1.1", "version: 1.10")
    code, out, err = invoke(*write(tmp_path, base=base, ours=base.replace("1.1", "1.2"), theirs=theirs))
    assert code == 1 and "field 'version': changed on both sides" in err


def test_mcp_servers_each_side_added_merge_entry_by_entry(tmp_path: Path) -> None:
    """OURS added one MCP server and THEIRS another, after the same last line: a conflict over the
    whole mapping, where each side's server is its own entry. They merge by server now, written
    as block YAML; one server both sides changed differently still conflicts, and one
    a side removed while the other left it is removed."""
    head = "---\nname: a\ndescription: d\nmcp-servers:\n  docs:\n    type: http\n    url: https://docs.example.com\n"
    body = "---\n\n- Read the docs\n"
    base = head + body
    ours = head + "  db:\n    type: local\n    command: db-mcp\n" + body
    theirs = head + "  web:\n    type: http\n    url: https://web.example.com\n" + body
    code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs))
    assert code == 0, err
    assert out.decode() == (
        head
        + "  db:\n    type: local\n    command: db-mcp\n  web:\n    type: http\n    url: https://web.example.com\n"
        + body
    )
    theirs_removed = "---\nname: a\ndescription: d\nmcp-servers:\n  web:\n    type: http\n    url: https://w\n" + body
    code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs_removed))
    assert code == 0, err
    assert "  docs:" not in out.decode() and "db-mcp" in out.decode() and "https://w\n" in out.decode()
    moved = theirs.replace("https://docs.example.com", "https://docs.example.org")
    code, out, err = invoke(*write(tmp_path, base=base, ours=ours.replace(".com\n  db", ".net\n  db"), theirs=moved))
    assert code == 1 and "field 'mcp-servers': changed on both sides" in err


LISTED = "---\nname: t\ndescription: d\n---\n\n## Rules\n\n- Check inputs\n- Log errors\n\n## Other\n\n- Keep notes\n"


def test_an_item_added_to_a_list_stays_in_it_beside_a_paragraph_the_other_side_added(tmp_path: Path) -> None:
    """THEIRS' new last bullet went past OURS' new paragraph after the list, as a list of one."""
    ours = LISTED.replace("- Log errors\n", "- Log errors\n\nThese rules apply to every service.\n")
    theirs = LISTED.replace("- Log errors\n", "- Log errors\n- Retry failed calls\n")
    code, out, err = invoke(*write(tmp_path, base=LISTED, ours=ours, theirs=theirs))
    assert code == 0, err
    assert out.decode() == ours.replace("- Log errors\n", "- Log errors\n- Retry failed calls\n")


@pytest.mark.parametrize("intro", ["ours", "base"])
def test_an_item_added_first_to_a_list_after_a_paragraph_opens_that_list(tmp_path: Path, intro: str) -> None:
    """THEIRS' new first bullet was written after the paragraph before the list and before the
    blank line that ends it: a list of its own (or, as OURS had added the paragraph, above it)."""
    said = LISTED.replace("## Rules\n\n", "## Rules\n\nRead these first.\n\n")
    base = said if intro == "base" else LISTED
    ours = said.replace("- Log errors", "- Log all errors")
    theirs = base.replace("- Check inputs\n", "- Validate config\n- Check inputs\n")
    code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs))
    assert code == 0, err
    assert out.decode() == ours.replace("- Check inputs\n", "- Validate config\n- Check inputs\n")


def test_an_item_one_side_makes_one_unit_with_its_children_merges_whole(tmp_path: Path) -> None:
    """A heading indented into a list item on one side makes the item's text go on after its child
    (one unit, ``_Side.atomic``). Merged part by part, the child was written twice (the other side
    deleting another item) or the other side's edit of the child went, clean; it merges whole: the
    side that changed it, and a conflict when both did."""
    base = "## A\n- one\n  > why one\n- two\n  > why two\n\n## B\n- three\n  > why three\n"
    deleted = base.replace("- one\n", "")
    indented = base.replace("## B\n", "  ## B\n")
    child_edited = base.replace("  > why two\n", "  > why two, and the edit\n")
    for ours, theirs in ((deleted, indented), (indented, deleted)):
        code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs))
        assert code == 0, err
        assert out.decode().count("why two") == 1
        assert "  ## B\n- three\n" in out.decode()
    for ours, theirs in ((indented, child_edited), (child_edited, indented)):
        code, out, err = invoke(*write(tmp_path, base=base, ours=ours, theirs=theirs))
        assert code == 1, out.decode()
        assert out.decode().count("<<<<<<<") == 1 and "why two, and the edit" in out.decode()


def test_conflict_markers_longer_than_a_thousand_characters_are_refused(tmp_path: Path) -> None:
    """``--marker-size`` takes 1 to 1,000 (git's default is 7): a marker a billion characters long,
    written for each conflict, ran out of memory; it is a usage error, exit 2, before any work."""
    sides = []
    for name, line in (
        ("base", "Keep functions under 20 lines"),
        ("ours", "Keep functions under 25 lines"),
        ("theirs", "Keep functions under 30 lines"),
    ):
        path = tmp_path / f"{name}.md"
        path.write_text(f"---\nname: a\ndescription: b\n---\n- {line}\n", encoding="utf-8")
        sides.append(str(path))
    code, _, err = run_cli("merge", *sides, "--marker-size", "1000000000")
    assert code == 2 and "--marker-size" in err and "1<=x<=1000" in err
    code, out, _ = run_cli("merge", *sides, "--marker-size", "1000")
    assert code == 1 and "<" * 1000 + " " in out
