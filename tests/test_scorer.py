"""The pair scorer's candidate pairs: which pairs are scored, and that bounding them changes no score."""

from __future__ import annotations

import random

import pytest

from agentmerge import scorer
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


def test_a_small_merge_keeps_every_blocked_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    items = views(3, 4)
    assert PairScorer(items).candidates() == unbounded(items, monkeypatch)
