"""Count how many instructions of a public agent corpus use each term: the matcher's term weights.

Run: ``.venv/bin/python benchmarks/corpus_terms.py [CORPUS] [--check] [--words WORD...]``

CORPUS defaults to ``../shared/corpus`` (one folder per collection). Every agent file is parsed;
every prose item (list item, paragraph, quote) and every ``description`` is one document, and a
term (``text.terms``: stemmed significant words) counts once per document it occurs in. Terms in
fewer than MIN_DOCUMENTS documents are left out (a rarer term weighs as an unseen one). The
result is figures, not text: ``agentmerge/data/terms.json`` holds the number of documents and,
for each term, its document count.

``--check`` compares with the committed file instead of writing it (exit 1 when they differ, as
after a change to ``text.terms``). ``--words`` prints, for each word, in how many documents and
how many collections its term occurs: the evidence a word list in ``lexicon`` must cite.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agentmerge.errors import AgentMergeError  # noqa: E402
from agentmerge.parse import read_agent  # noqa: E402
from agentmerge.text import terms  # noqa: E402

OUTPUT = ROOT / "agentmerge" / "data" / "terms.json"
MIN_DOCUMENTS = 3
PROSE_KINDS = ("bullet", "ordered", "task", "paragraph", "quote")


def documents(corpus: Path) -> tuple[list[tuple[str, frozenset[str]]], int]:
    """(collection, term set) for every prose unit of every readable agent file, and the file count."""
    docs: list[tuple[str, frozenset[str]]] = []
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
            for text in texts:
                found = frozenset(terms(text))
                if found:
                    docs.append((collection.name, found))
    return docs, files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("corpus", nargs="?", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--check", action="store_true", help="compare with the committed file")
    parser.add_argument("--words", nargs="+", help="print document and collection counts of these words")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"no corpus at {corpus}; nothing to count", file=sys.stderr)
        return 2
    docs, files = documents(corpus)
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
