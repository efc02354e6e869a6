"""The pair scorer's candidate pairs: which pairs are scored, and that bounding them changes no score."""

from __future__ import annotations

import random
import time

import pytest

from agentmerge import scorer
from agentmerge.consolidate import consolidate
from agentmerge.parse import parse_text
from agentmerge.render import consolidation_to_dict
from agentmerge.scorer import ItemView, PairScorer


def views(seed: int, per_input: int, inputs: int = 2) -> list[ItemView]:
    """``per_input`` bullets of six words from a vocabulary of 300 in each input: every item
    shares a word with dozens of others, as in a large merge of one topic."""
    pick = random.Random(seed)
    return [
        ItemView(source, " ".join(f"w{pick.randrange(300)}" for _ in range(6)), "bullet", "Topic", "guidance")
        for source in range(inputs)
        for _ in range(per_input)
    ]


def unbounded(items: list[ItemView], monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The candidate pairs with no PARTNERS bound: every blocked pair at CLOSENESS_FLOOR or more."""
    with monkeypatch.context() as patched:
        patched.setattr(scorer, "PARTNERS", 10**9)
        return PairScorer(items).candidates()


def test_a_pair_is_scored_when_either_item_has_the_other_among_its_closest(monkeypatch: pytest.MonkeyPatch) -> None:
    items = views(1, 150)
    near = unbounded(items, monkeypatch)
    probe = PairScorer(items)
    closeness = {pair: probe._close(*pair)[5] for pair in near}
    by_item: dict[tuple[int, int], list[float]] = {}
    for (i, j), value in closeness.items():
        by_item.setdefault((i, items[j].source), []).append(value)
        by_item.setdefault((j, items[i].source), []).append(value)

    def among_closest(i: int, j: int) -> bool:
        ranked = sorted(by_item[(i, items[j].source)], reverse=True)
        return len(ranked) < scorer.PARTNERS or closeness[(min(i, j), max(i, j))] >= ranked[scorer.PARTNERS - 1]

    expected = [(i, j) for i, j in near if among_closest(i, j) or among_closest(j, i)]
    kept = PairScorer(items).candidates()
    assert kept == expected
    assert len(kept) < 0.7 * len(near)  # the bound does work on this input


def test_the_bound_changes_no_score_of_a_pair_it_keeps(monkeypatch: pytest.MonkeyPatch) -> None:
    # The features read each item's best and second-best counterpart; both are always kept.
    items = views(2, 120)
    near = unbounded(items, monkeypatch)
    every = PairScorer(items).scores(near)
    bounded = PairScorer(items).scores()
    assert bounded
    assert bounded == {pair: every[pair] for pair in bounded}


def test_a_pair_outside_the_candidates_scores_as_with_every_pair_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clustering asks for pairs blocking left out; whether each item is the other's closest
    is then read over the other's whole input, so the score is the one every pair measured gives.
    Read against the candidates alone, an item that blocking kept from every item of the other
    input looked like each one's best counterpart there."""
    items = views(4, 70)
    every_pair = [(i, j) for i in range(len(items)) for j in range(i + 1, len(items))]
    every = PairScorer(items).scores(every_pair)
    blocked = PairScorer._blocked_pairs
    with monkeypatch.context() as patched:
        # Item 0 (input 0) shares no rare word with any item of input 1.
        kept_apart = {(0, j) for j, item in enumerate(items) if item.source == 1}
        patched.setattr(PairScorer, "_blocked_pairs", lambda self: blocked(self) - kept_apart)
        bounded = PairScorer(items)
        kept = set(bounded.scores())
    outside = [pair for pair in every_pair if pair not in kept and items[pair[0]].source != items[pair[1]].source]
    assert [j for i, j in outside if i == 0] == [j for j, item in enumerate(items) if item.source == 1]
    assert {pair: bounded.score(*pair) for pair in outside} == {pair: every[pair] for pair in outside}


def test_kept_measures_are_the_measures_of_their_pair() -> None:
    """The measures of kept pairs are stored six to a pair in one array; each pair reads back its
    own, in candidates' order and for pairs measured after them."""
    items = views(6, 90)
    kept = PairScorer(items)
    pairs = kept.candidates()
    later = [(0, j) for j in range(1, len(items)) if (0, j) not in kept._candidates][:20]
    assert pairs and later
    for i, j in pairs + later + pairs[:5]:
        assert kept._close(j, i) == scorer._measure(kept.profiles[i], kept.profiles[j])
    assert len(kept._measures) == 6 * len(kept._closeness) == 6 * (len(pairs) + len(later))


def test_a_small_merge_keeps_every_blocked_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    items = views(3, 4)
    assert PairScorer(items).candidates() == unbounded(items, monkeypatch)


def test_up_to_the_block_floor_every_pair_is_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    """In two short files an item's next best counterpart is measured though it shares no word."""
    items = [
        ItemView(0, "Return errors as the last value", "bullet", None, "guidance"),
        ItemView(0, "Keep interfaces small", "bullet", None, "guidance"),
        ItemView(1, "Wrap errors with context", "bullet", None, "guidance"),
        ItemView(1, "Prefer composition over inheritance", "bullet", None, "guidance"),
    ]
    with monkeypatch.context() as patched:
        patched.setattr(PairScorer, "_blocked_pairs", lambda self: pytest.fail("blocked a small merge"))
        pairs = PairScorer(items).candidates()
    assert (1, 3) in pairs  # no word in common: blocking would never have measured it
    many = views(5, scorer.BLOCK_FLOOR)
    assert len(PairScorer(many)._blocked_pairs()) < len(many) * (len(many) - 1) // 2


def test_two_short_rule_files_do_not_fold_a_library_into_a_placement_rule() -> None:
    """Scored without the next best of each item, a line naming the library to test components with
    stood above 0.8 against a rule on where component tests live, and folded into it."""
    a = parse_text(
        "- Use function components with hooks\n- Keep components under 200 lines\n"
        "- Name event handlers with a handle prefix\n- Co-locate component tests next to the component\n"
        "- Use CSS modules for component styles\n- Memoize expensive calculations with useMemo\n",
        "a.mdc",
    )
    c = parse_text(
        "- Components are functions, never classes\n- One component per file\n"
        "- Handle loading and error states in every data-fetching component\n"
        "- Test components with Testing Library queries\n- Avoid inline styles\n- Lazy-load routes with React.lazy\n",
        "c.mdc",
    )
    (root,) = consolidation_to_dict(consolidate([a, c]))["sections"]
    merged = [{s["text"] for s in item["sources"]} for item in root["items"]]
    assert {"Test components with Testing Library queries"} in merged
    assert {"Co-locate component tests next to the component"} in merged


def test_a_pair_read_among_its_neighbours_is_told_apart_as_siblings() -> None:
    """Two rules on one topic, each added to one list ("Check the changelog for typos", "Post the
    changelog link in the channel"): alone they are each other's only counterpart and score as
    one instruction; beside the list's other rules each stands no closer to the other than to a
    sibling, and they score apart. A rewording of one rule still scores as one among them."""
    rules = ["Never release on a Friday", "Keep the changelog in Keep a Changelog form", "Announce the release"]

    def among(mine: str, yours: str) -> bool:
        items = [ItemView(0, text, "bullet", "Rules", "guidance") for text in [*rules, mine]]
        items += [ItemView(1, text, "bullet", "Rules", "guidance") for text in [*rules, yours]]
        return scorer.restated_pairs(items, [len(rules)], [len(items) - 1]) == [(len(rules), len(items) - 1)]

    def alone(mine: str, yours: str) -> bool:
        left, right = (ItemView(n, text, "bullet", "Rules", "guidance") for n, text in enumerate((mine, yours)))
        return scorer.restates(left, right)

    siblings = ("Check the changelog for typos", "Post the changelog link in the channel")
    assert alone(*siblings) and not among(*siblings)
    reworded = ("Run the migrations before deploying", "Apply database migrations ahead of each deploy")
    assert alone(*reworded) and among(*reworded)


def test_near_verbatim_reads_acronyms_obligations_and_operators_as_written() -> None:
    """A typo apart is a copy; an acronym's letter, a modal of another level or an operator is
    not, though the terms agree ("https" stems to "http", "may" and "must" are stop words)."""
    assert scorer.near_verbatim("Use HTTPS for internal calls.", "Use HTTPS for internal calls")
    assert scorer.near_verbatim("Document the public APIs", "Document the public API")
    assert not scorer.near_verbatim("Use HTTP for internal calls", "Use HTTPS for internal calls")
    assert not scorer.near_verbatim("Users may delete their comments", "Users must delete their comments")
    assert not scorer.near_verbatim("Compare with == in tests", "Compare with === in tests")
    assert not scorer.near_verbatim("Loop while i <= n", "Loop while i < n")
    # Stop words are no terms, yet another one says another thing, and the same words in another
    # order too; an article, "please" or "always", a contraction written out, are no change.
    frame = "For every pull request that touches the payment service and its migrations, "
    assert not scorer.near_verbatim(frame + "say why.", frame + "say where.")
    assert not scorer.near_verbatim(frame + "copy them into the folder.", frame + "copy them out of the folder.")
    assert not scorer.near_verbatim(frame + "mark all findings.", frame + "mark no findings.")
    assert not scorer.near_verbatim(frame + "merge main into dev.", frame + "merge dev into main.")
    assert scorer.near_verbatim(frame + "say why.", frame + "say why!")
    assert scorer.near_verbatim(frame + "don't log the tokens.", frame + "do not log the tokens.")
    assert scorer.near_verbatim(frame + "log the request id.", frame + "log a request id.")
    assert not scorer.near_verbatim(frame + "you must log the request id.", frame + "you may log the request id.")
    # The secure variant of a protocol is read whatever the case; capitals for emphasis are the
    # same words ("SECRETS" was read as an acronym whose S the stem drops, and conflicted).
    assert not scorer.near_verbatim("use http for local calls.", "use https for local calls.")
    assert scorer.near_verbatim("NEVER COMMIT SECRETS.", "Never commit secrets.")
    assert scorer.near_verbatim("Review all PRs.", "REVIEW ALL PRS.")
    assert scorer.near_verbatim("NEVER push to main on a Friday.", "Never push to main on a Friday")
    assert scorer.near_verbatim("IMPORTANT: sign every tag.", "Important: sign every tag")
    assert scorer.near_verbatim("Run the CI checks first", "Run the ci checks first")
    # Copies are looked up by their terms and marks: whatever near_verbatim joins has the same.
    pairs = [("ALWAYS run the TESTS", "Always run the tests"), ("Use HTTPS", "use https"), ("Use HTTPS", "use http")]
    for a, b in pairs:
        assert scorer.near_verbatim(a, b) == (scorer.verbatim_terms(a) == scorer.verbatim_terms(b))


def test_near_verbatim_reads_a_long_run_of_capitals_in_linear_time() -> None:
    """A word of 100,000 capitals is read once: the acronym pattern of 0131278 backtracked over
    it in cubic time (a merge of one such line took 12 s at 1,600 characters). A guard against
    such a blow-up, not a benchmark: linear reading takes hundredths of a second, cubic hours."""
    word = "Q" * 100_000
    start = time.perf_counter()
    scorer.near_verbatim(f"Keep {word}x handy", f"Keep {word}y handy")
    assert time.perf_counter() - start < 10.0
