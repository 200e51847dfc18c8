"""Machine instructions the rule engine spends per listing, counted by valgrind: a figure that does not move
with the machine's load, to compare two versions of the engine where timings drift by ±10 %.

Usage: ``python bench/instructions.py [--n 3000] [--root DIR] [--brands-x10]``. ``--root`` is a checkout whose
``rules/`` (and ``crawler/``) are measured instead of this one. Needs ``valgrind`` (``apt-get install -y
valgrind``); prints numbers, never asserts.

The engine is measured twice, over 1,000 warm-up listings alone and then over ``n`` more, both under
callgrind with hash randomisation and address-space randomisation off, and the difference is divided by
``n``: start-up, loading and warm-up cancel out. Repeated runs agree within about 1 %.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_WARM_UP = 1000


def _work(root: Path, n: int, brands_x10: bool) -> None:
    """The measured run: load, warm up, then ``n`` distinct listings (only when ``n`` > 0)."""
    sys.path[:0] = [str(root), str(ROOT), str(ROOT / "bench")]
    import rules
    from rules.loader import load_sets

    # after ``rules``, which bench/match.py would otherwise import from this checkout: the same corpus,
    # distinct copies and generated lists as bench/match.py
    bench_match = importlib.import_module("match")

    corpus = [json.loads(line) for line in (bench_match.FIXTURES / "listings_labeled.jsonl").read_text(
        encoding="utf-8").splitlines()]
    for listing in corpus:
        listing.pop("label", None)
    listings = bench_match._distinct(corpus, _WARM_UP + n)
    with tempfile.TemporaryDirectory() as tmp:
        watch = Path(tmp) / "watch.csv"
        bench_match._watchlist(watch, 2000, random.Random(7))
        extra = []
        if brands_x10:
            extra = [Path(tmp) / "gen"]
            extra[0].mkdir()
            bench_match._brands(extra[0] / "brands.yaml", 9 * len(load_sets().brands), random.Random(7))
        engine = rules.load(extra_dirs=extra, watchlists=[watch])
        for listing in listings:
            engine.assess(listing)


def _count(root: Path, n: int, brands_x10: bool) -> int:
    command = ["setarch", "x86_64", "-R", "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, __file__, "--worker", str(n), "--root", str(root)]
    command += ["--brands-x10"] if brands_x10 else []
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
                          check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=3000, help="listings measured after the warm-up")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose rules/ is measured")
    parser.add_argument("--brands-x10", action="store_true", help="with nine times more (generated) brands")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        _work(args.root.resolve(), args.worker, args.brands_x10)
        return
    if not shutil.which("valgrind") or not shutil.which("setarch"):
        raise SystemExit("valgrind is not installed: apt-get install -y valgrind")
    base = _count(args.root.resolve(), 0, args.brands_x10)
    total = _count(args.root.resolve(), args.n, args.brands_x10)
    print(f"rules from {args.root.resolve()}{' with 10x brands' if args.brands_x10 else ''}: "
          f"{(total - base) / args.n:,.0f} instructions per listing ({args.n} listings after {_WARM_UP} warm-up)")


if __name__ == "__main__":
    main()
