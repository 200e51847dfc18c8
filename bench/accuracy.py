"""Accuracy of the rule engine on the labelled corpus: flag and per-category precision/recall.

Usage: ``python bench/accuracy.py [--listings PATH] [--watchlist PATH] [--verbose]``. Paths default to
``../shared/fixtures/`` relative to the repository root. Prints numbers; never asserts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rules  # noqa: E402
from rules.model import CATEGORIES  # noqa: E402

FIXTURES = ROOT.parent / "shared" / "fixtures"


def _pr(tp: int, fp: int, fn: int) -> tuple[float, float]:
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=Path, default=FIXTURES / "listings_labeled.jsonl")
    parser.add_argument("--watchlist", type=Path, default=FIXTURES / "watchlist.csv")
    parser.add_argument("--verbose", action="store_true", help="show findings of misclassified listings")
    args = parser.parse_args()
    engine = rules.load(watchlists=[args.watchlist])
    counts: Counter[tuple[str, str]] = Counter()
    wrong: list[str] = []
    for line in args.listings.read_text(encoding="utf-8").splitlines():
        listing = json.loads(line)
        label = listing.pop("label")
        got = engine.assess(listing)
        for name, truth, pred in [("flag", label["flag"], got.flag)] + [
            (c, c in label["categories"], c in got.categories) for c in CATEGORIES[:7]
        ]:
            counts[(name, "tp" if truth and pred else "fp" if pred else "fn" if truth else "tn")] += 1
        if set(label["categories"]) != set(got.categories):
            wrong.append(f"{listing['_id']}  want={label['categories']} got={got.categories}")
            if args.verbose:
                wrong.append(f"    {listing['title']}")
                wrong += [f"    - {f.rule_id}: {[s.text for s in f.spans]}" for f in got.findings]
    print(f"{'':14} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for name in ("flag", *CATEGORIES[:7]):
        tp, fp, fn = (counts[(name, k)] for k in ("tp", "fp", "fn"))
        precision, recall = _pr(tp, fp, fn)
        print(f"{name:14} {precision:9.3f} {recall:7.3f} {tp:4} {fp:4} {fn:4}")
    print(f"\nmisclassified listings ({sum(1 for w in wrong if not w.startswith('  '))}):")
    print("\n".join(wrong))


if __name__ == "__main__":
    main()
