"""Fit the matcher's pair model on the hand-labelled groups and choose its thresholds.

Run: ``.venv/bin/python benchmarks/fit_matcher.py [--gold DIR] [--write | --check]``

DIR defaults to ``../shared/gold``: ``seeds.json`` (inputs in ``../seeds``) and ``dev/NAME.json``
(inputs in ``dev/NAME/``), each labelling which items of four agents of one role give the same
instruction. For every group the script takes the candidate pairs and their features exactly as
``consolidate`` computes them (``consolidate.matching_evidence``) and labels each pair from the
gold clusters (pairs the labels call borderline are left out).

1. Leave one group out: for each group, fit the logistic model on the other groups, choose the
   thresholds that give the best mean objective on those groups (item F1 less LOST_WEIGHT per
   lost item), and score the held-out group with them. This table is the honest estimate for
   groups the model has not seen.
2. Fit on all groups and choose the thresholds the same way; with ``--write`` the weights, the
   thresholds and the leave-one-group-out table go to ``agentmerge/data/matcher.json``; with
   ``--check`` the script exits 1 when that file is not what ``--write`` would write (the tests
   run it: a change to what the features read, or to how items cluster, that moves a weight or
   a figure of the table needs the file written again).

The fit is L2-regularised logistic regression (Newton's method, REGULARISATION below) in plain
Python, so the result does not depend on a numerical library. The scores here are computed the
way ``score.py`` computes them (pairwise precision, recall and F1 over labelled items, borderline
pairs free, ``lost``: folded items that the labels call a different instruction from the kept
wording); ``benchmarks/quality.py`` checks them through the command line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agentmerge.cluster import ItemCluster, cluster_items  # noqa: E402
from agentmerge.consolidate import MatchingEvidence, matching_evidence  # noqa: E402
from agentmerge.parse import read_agent  # noqa: E402
from agentmerge.scorer import FEATURES, Model, near_verbatim  # noqa: E402

OUTPUT = ROOT / "agentmerge" / "data" / "matcher.json"
REGULARISATION = 1.0
"""Weight of the L2 penalty (half the squared weights), as scikit-learn's default C=1."""

THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
SAME_INPUT_THRESHOLDS = (0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
FLOORS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
"""Candidate folding floors; never below 0.35: a folded wording is reported with its score, and
a score under a third says the words do not show one instruction."""
LOST_WEIGHT = 5.0
"""What one lost item (folded into a wording the labels call another instruction) costs in the
objective, in F1 points per labelled item: a false merge drops an instruction, a missed one only
keeps a near-duplicate, so a lost item weighs as five. Leaving one group out, this gives a mean
F1 of 0.616 with 10 items lost, against 0.617 with 13 for a weight of three, 0.638 with 17 for
F1 alone and 0.590 with 10 for a weight of a thousand (lost items first)."""


@dataclass
class Group:
    """One labelled group: its evidence, feature rows, labels and gold clusters."""

    name: str
    evidence: MatchingEvidence
    keys: list[list[str]]
    """Gold keys ("prefix:line") of each candidate's items."""
    rows: list[list[float]]
    labels: list[int]
    """1 same instruction, 0 different, -1 borderline or unlabelled (left out of the fit)."""
    positive: set[tuple[str, str]]
    either: set[tuple[str, str]]
    labelled: set[str]
    descriptions: list[str]
    """Gold keys of the inputs' descriptions (one slot, always merged)."""
    more_rows: dict[tuple[int, int], list[float]] = field(default_factory=dict)
    """Feature rows of pairs outside the candidates, as the clustering asks for them (``rescorer``)."""


def load_groups(gold_dir: Path) -> list[Group]:
    """Every labelled group under ``gold_dir`` (seeds first, then dev groups by name)."""
    found: list[tuple[str, Path, Path]] = []
    if (gold_dir / "seeds.json").is_file():
        found.append(("seeds", gold_dir / "seeds.json", gold_dir.parent / "seeds"))
    for path in sorted((gold_dir / "dev").glob("*.json")):
        found.append((path.stem, path, path.with_suffix("")))
    zero = Model(tuple(0.0 for _ in FEATURES), 0.5, 0.5, 0.5)
    groups = []
    for name, gold_path, folder in found:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        prefix_of = {file: prefix for prefix, file in gold["files"].items()}
        agents = [read_agent(str(folder / file)) for file in sorted(gold["files"].values())]
        evidence = matching_evidence(agents, model=zero)
        keys = [[f"{prefix_of[Path(p).name]}:{line}" for p, line in bag] for bag in evidence.keys]
        positive = {tuple(sorted(p)) for c in gold["item_clusters"] for p in itertools.combinations(set(c), 2)}
        either = {tuple(sorted(p)) for p in gold["item_either"]}
        labelled = set(gold["items"])
        labels = [
            _label(keys[i], keys[j], positive, either, labelled)  # type: ignore[arg-type]
            for i, j in evidence.pairs
        ]
        rows = evidence.scorer.feature_rows(list(evidence.pairs))
        descriptions = [
            f"{prefix_of[Path(a.path).name]}:{f.line}" for a in agents for f in a.fields if f.key == "description"
        ]
        groups.append(
            Group(name, evidence, keys, rows, labels, positive, either, labelled, descriptions)  # type: ignore[arg-type]
        )
    return groups


def _label(a: list[str], b: list[str], positive: set, either: set, labelled: set) -> int:  # type: ignore[type-arg]
    pairs = [tuple(sorted((x, y))) for x in a for y in b if x in labelled and y in labelled and x != y]
    if not pairs:
        return -1
    if any(p in positive for p in pairs):
        return 1
    if any(p in either for p in pairs):
        return -1
    return 0


# --------------------------------------------------------------------------------------------
# Logistic regression


def fit(rows: list[list[float]], labels: list[int], iterations: int = 25) -> list[float]:
    """Weights minimising the log loss plus REGULARISATION / 2 x the squared weights (Newton).

    NumPy, when it is installed, does the same arithmetic faster; the weights agree to rounding.
    """
    try:
        import numpy
    except ImportError:
        return _fit_plain(rows, labels, iterations)
    x = numpy.array(rows, dtype=float)
    y = numpy.array(labels, dtype=float)
    w = numpy.zeros(x.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + numpy.exp(-numpy.clip(x @ w, -35.0, 35.0)))
        gradient = x.T @ (p - y) + REGULARISATION * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + REGULARISATION * numpy.eye(x.shape[1])
        step = numpy.linalg.solve(hessian, gradient)
        w = w - step
        if numpy.abs(step).max() < 1e-7:
            break
    return [float(v) for v in w]


def _fit_plain(rows: list[list[float]], labels: list[int], iterations: int) -> list[float]:
    size = len(FEATURES)
    weights = [0.0] * size
    for _ in range(iterations):
        gradient = [REGULARISATION * w for w in weights]
        hessian = [[REGULARISATION if r == c else 0.0 for c in range(size)] for r in range(size)]
        for row, label in zip(rows, labels, strict=True):
            z = math.fsum(w * x for w, x in zip(weights, row, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-35.0, min(35.0, z))))
            error, s = p - label, p * (1.0 - p)
            for r in range(size):
                xr = row[r]
                if not xr:
                    continue
                gradient[r] += error * xr
                sr = s * xr
                line = hessian[r]
                for c in range(r, size):
                    line[c] += sr * row[c]
        for r in range(size):
            for c in range(r):
                hessian[r][c] = hessian[c][r]
        step = _solve(hessian, gradient)
        weights = [w - d for w, d in zip(weights, step, strict=True)]
        if max(abs(d) for d in step) < 1e-7:
            break
    return weights


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Solve matrix x = vector by Gaussian elimination with partial pivoting."""
    size = len(vector)
    a = [[*row, vector[n]] for n, row in enumerate(matrix)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, size):
            factor = a[r][col] / a[col][col]
            if factor:
                for c in range(col, size + 1):
                    a[r][c] -= factor * a[col][c]
    x = [0.0] * size
    for r in range(size - 1, -1, -1):
        x[r] = (a[r][size] - math.fsum(a[r][c] * x[c] for c in range(r + 1, size))) / a[r][r]
    return x


def probabilities(weights: list[float], rows: list[list[float]]) -> list[float]:
    out = []
    for row in rows:
        z = math.fsum(w * x for w, x in zip(weights, row, strict=True))
        out.append(0.0 if z < -35.0 else 1.0 / (1.0 + math.exp(-z)))
    return out


# --------------------------------------------------------------------------------------------
# Scoring a clustering the way score.py does


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    lost: int


def rescorer(group: Group, weights: list[float]) -> Callable[[int, int], float]:
    """The score of a pair outside the candidates under ``weights``, as ``PairScorer.score`` gives it
    to ``cluster_items`` (its features computed once per group)."""
    ev = group.evidence

    def rescore(i: int, j: int) -> float:
        if near_verbatim(ev.candidates[i].text, ev.candidates[j].text):
            return 1.0
        row = group.more_rows.get((i, j))
        if row is None:
            row = group.more_rows[(i, j)] = ev.scorer.features(i, j)
        return probabilities(weights, [row])[0]

    return rescore


def evaluate(
    group: Group, weights: list[float], probs: list[float], threshold: float, same_input: float, floor: float
) -> Score:
    """Cluster the group's candidates at these thresholds (``probs``: the candidate pairs' scores
    under ``weights``) and score the items against the gold."""
    ev = group.evidence
    scores = {
        (i, j): 1.0 if near_verbatim(ev.candidates[i].text, ev.candidates[j].text) else p
        for (i, j), p in zip(ev.pairs, probs, strict=True)
    }
    for n, a in enumerate(ev.identity):
        for b in ev.identity[n + 1 :]:
            scores[(a, b)] = 1.0
    found = cluster_items(
        ev.candidates,
        scores,
        threshold=threshold,
        same_input_threshold=max(threshold, same_input),
        floor=floor,
        lines=ev.lines,
        one_slot=frozenset(ev.identity),
        parents=ev.parents,
        rescore=rescorer(group, weights),
    )
    units: list[tuple[str, list[str]]] = []
    for cluster in found:
        units.append(_unit(group, cluster))
    descriptions = [k for k in group.descriptions if k in group.labelled]
    if len(descriptions) > 1:
        units.append((descriptions[0], descriptions))
    predicted: set[tuple[str, str]] = set()
    lost = 0
    for kept, keys in units:
        keys = sorted({k for k in keys if k in group.labelled})
        predicted.update(itertools.combinations(keys, 2))  # type: ignore[arg-type]
        for other in keys:
            pair = tuple(sorted((kept, other)))
            if other != kept and kept in group.labelled and pair not in group.positive and pair not in group.either:
                lost += 1
    tp = len(predicted & group.positive)
    fp = len(predicted - group.positive - group.either)
    fn = len(group.positive - predicted)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return Score(p, r, 2 * p * r / (p + r) if p + r else 0.0, lost)


def _unit(group: Group, cluster: ItemCluster) -> tuple[str, list[str]]:
    keys = [k for n in cluster.members for k in group.keys[n]]
    return group.keys[cluster.kept][0], keys


def objective(group: Group, score: Score) -> float:
    """F1 less LOST_WEIGHT for each lost item, per labelled item of the group."""
    return score.f1 - LOST_WEIGHT * score.lost / len(group.labelled)


def choose_thresholds(
    groups: list[Group], weights: list[float], probs: list[list[float]]
) -> tuple[float, float, float, float]:
    """The (threshold, same-input threshold, floor) with the best mean objective over
    ``groups`` (F1 less LOST_WEIGHT per lost item per labelled item), and that objective; ties go
    to the higher floor, then the higher thresholds (fewer merges)."""
    best: tuple[float, float, float, float] | None = None
    for floor in sorted(FLOORS, reverse=True):
        for threshold in sorted(THRESHOLDS, reverse=True):
            for same_input in sorted(SAME_INPUT_THRESHOLDS, reverse=True):
                if same_input < threshold or floor < threshold:
                    continue
                scores = [
                    objective(g, evaluate(g, weights, p, threshold, same_input, floor))
                    for g, p in zip(groups, probs, strict=True)
                ]
                mean = sum(scores) / len(groups)
                if best is None or mean > best[3] + 1e-9:
                    best = (threshold, same_input, floor, mean)
    assert best is not None
    return best


def training(groups: list[Group]) -> tuple[list[list[float]], list[int]]:
    rows, labels = [], []
    for g in groups:
        for row, label in zip(g.rows, g.labels, strict=True):
            if label >= 0:
                rows.append(row)
                labels.append(label)
    return rows, labels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--gold", default=str(ROOT.parent / "shared" / "gold"))
    parser.add_argument("--write", action="store_true", help="write agentmerge/data/matcher.json")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when agentmerge/data/matcher.json is not what --write writes"
    )
    args = parser.parse_args()
    gold_dir = Path(args.gold)
    if not gold_dir.is_dir():
        print(f"no labelled groups at {gold_dir}; nothing to fit", file=sys.stderr)
        return 2
    groups = load_groups(gold_dir)
    for g in groups:
        covered = {
            tuple(sorted((a, b)))
            for (i, j), y in zip(g.evidence.pairs, g.labels, strict=True)
            if y == 1
            for a in g.keys[i]
            for b in g.keys[j]
        }
        print(
            f"{g.name}: {len(g.evidence.candidates)} candidates, {len(g.evidence.pairs)} pairs, "
            f"{sum(1 for y in g.labels if y == 1)} positive; labelled same-instruction pairs reachable "
            f"{len(covered & g.positive)}/{len(g.positive)}"
        )
    logo: dict[str, dict[str, float]] = {}
    print("\nleave one group out (fitted and tuned on the other groups):")
    print(f"  {'group':12s} threshold  same-input  floor  precision  recall  F1     lost")
    for held in groups:
        rest = [g for g in groups if g is not held]
        weights = fit(*training(rest))
        threshold, same_input, floor, _ = choose_thresholds(
            rest, weights, [probabilities(weights, g.rows) for g in rest]
        )
        score = evaluate(held, weights, probabilities(weights, held.rows), threshold, same_input, floor)
        logo[held.name] = {
            "threshold": threshold,
            "same_input_threshold": same_input,
            "floor": floor,
            "precision": round(score.precision, 3),
            "recall": round(score.recall, 3),
            "f1": round(score.f1, 3),
            "lost": score.lost,
        }
        print(
            f"  {held.name:12s} {threshold:9.2f}  {same_input:10.2f}  {floor:5.2f}  {score.precision:9.3f}  "
            f"{score.recall:6.3f}  {score.f1:.3f}  {score.lost:4d}"
        )
    mean = sum(v["f1"] for v in logo.values()) / len(logo)
    print(f"  mean F1 {mean:.3f}")
    weights = fit(*training(groups))
    probs = [probabilities(weights, g.rows) for g in groups]
    threshold, same_input, floor, _ = choose_thresholds(groups, weights, probs)
    print(f"\nall groups: threshold {threshold}, same-input threshold {same_input}, floor {floor}")
    for g, p in zip(groups, probs, strict=True):
        s = evaluate(g, weights, p, threshold, same_input, floor)
        print(f"  {g.name:12s} precision {s.precision:.3f}  recall {s.recall:.3f}  F1 {s.f1:.3f}  lost {s.lost}")
    print("\nweights:")
    for name, w in sorted(zip(FEATURES, weights, strict=True), key=lambda x: -abs(x[1])):
        print(f"  {name:22s} {w:+.3f}")
    model = {
        "features": list(FEATURES),
        "weights": [round(w, 6) for w in weights],
        "threshold": threshold,
        "same_input_threshold": same_input,
        "floor": floor,
        "provenance": {
            "command": "python benchmarks/fit_matcher.py --write",
            "groups": [g.name for g in groups],
            "regularisation": REGULARISATION,
            "lost_weight": LOST_WEIGHT,
            "leave_one_group_out": logo,
        },
    }
    written = json.dumps(model, indent=2) + "\n"
    if args.check:
        same = OUTPUT.read_text(encoding="utf-8") == written
        print(f"\n{OUTPUT.relative_to(ROOT)} " + ("is up to date" if same else "differs from this fit; run --write"))
        return 0 if same else 1
    if args.write:
        OUTPUT.write_text(written, encoding="utf-8")
        print(f"\nwrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
