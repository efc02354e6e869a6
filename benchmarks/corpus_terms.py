"""Count how many instructions of a public agent corpus use each term: the matcher's term weights.

Run: ``.venv/bin/python benchmarks/corpus_terms.py [CORPUS] [--check] [--words WORD...] [--conditions]``

CORPUS defaults to ``../shared/corpus`` (one folder per collection). Every agent file is parsed;
every prose item (list item, paragraph, quote) and every ``description`` is one document, and a
term (``text.terms``: stemmed significant words) counts once per document it occurs in. Terms in
fewer than MIN_DOCUMENTS documents are left out (a rarer term weighs as an unseen one). The
result is figures, not text: ``agentmerge/data/terms.json`` holds the number of documents and,
for each term, its document count.

``--check`` compares with the committed file instead of writing it (exit 1 when they differ, as
after a change to ``text.terms``). ``--words`` prints, for each word, in how many documents and
how many collections its term occurs: the evidence a word list in ``lexicon`` must cite.
``--conditions`` prints the conditions of one term ("when possible", "before merging":
``cluster.condition_clauses``) by how many documents hold them and in how many collections: the
evidence for ``lexicon.EMPTY_CONDITIONS``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agentmerge.cluster import condition_clauses  # noqa: E402
from agentmerge.errors import AgentMergeError  # noqa: E402
from agentmerge.parse import read_agent  # noqa: E402
from agentmerge.text import terms  # noqa: E402

OUTPUT = ROOT / "agentmerge" / "data" / "terms.json"
MIN_DOCUMENTS = 3
PROSE_KINDS = ("bullet", "ordered", "task", "paragraph", "quote")


def documents(corpus: Path) -> tuple[list[tuple[str, str]], int]:
    """(collection, text) for every prose unit of every readable agent file, and the file count."""
    docs: list[tuple[str, str]] = []
    files = 0
    for collection in sorted(p for p in corpus.iterdir() if p.is_dir()):
        for path in sorted(p for p in collection.iterdir() if p.is_file()):
            if path.name == "LICENSE":
                continue
            try:
                agent = read_agent(path)
            except AgentMergeError:
                continue
            files += 1
            texts = [item.text for _, item in agent.items() if item.kind in PROSE_KINDS]
            texts.extend(str(f.value) for f in agent.fields if f.key == "description")
            docs.extend((collection.name, text) for text in texts)
    return docs, files


def one_term_conditions(docs: list[tuple[str, str]]) -> None:
    """Print the conditions of one term, most frequent first: documents and collections."""
    counts: Counter[str] = Counter()
    collections: defaultdict[str, set[str]] = defaultdict(set)
    for collection, text in docs:
        found = {next(iter(c)) for c in condition_clauses(text) if len(c) == 1}
        counts.update(found)
        for term in found:
            collections[term].add(collection)
    for term, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:40]:
        print(f"{term:16s} documents {count:6d}  collections {len(collections[term])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("corpus", nargs="?", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--check", action="store_true", help="compare with the committed file")
    parser.add_argument("--words", nargs="+", help="print document and collection counts of these words")
    parser.add_argument("--conditions", action="store_true", help="print the most frequent one-term conditions")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"no corpus at {corpus}; nothing to count", file=sys.stderr)
        return 2
    texts, files = documents(corpus)
    if args.conditions:
        one_term_conditions(texts)
        return 0
    docs = [(collection, found) for collection, text in texts if (found := frozenset(terms(text)))]
    counts: Counter[str] = Counter()
    collections: defaultdict[str, set[str]] = defaultdict(set)
    for collection, found in docs:
        counts.update(found)
        for term in found:
            collections[term].add(collection)
    if args.words:
        for word in args.words:
            for term in terms(word) or (word,):
                print(f"{word:20s} {term:16s} documents {counts.get(term, 0):6d}  collections {len(collections[term])}")
        return 0
    table = {
        "files": files,
        "documents": len(docs),
        "min_documents": MIN_DOCUMENTS,
        "terms": {t: n for t, n in sorted(counts.items()) if n >= MIN_DOCUMENTS},
    }
    text = json.dumps(table, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"
    if args.check:
        same = OUTPUT.is_file() and OUTPUT.read_text(encoding="utf-8") == text
        print("terms.json is up to date" if same else "terms.json differs from the corpus counts; regenerate it")
        return 0 if same else 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"{files} files, {len(docs)} documents, {len(table['terms'])} terms -> {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
