"""Throughput of the rule engine on one core, against a naive fuzzy baseline and at 10x the brand list.

Usage: ``python bench/match.py [--listings PATH] [--n 5000]``. Prints numbers; never asserts.

Fairness: time is this process's CPU time (one thread, so one core; neighbours on a shared machine do not
inflate it), and each figure, the baselines' too, is the best of five passes (a busy hypervisor only slows a
pass down). The passes take turns (engine, baseline, loop baseline, engine at 10x, then again), so a slow
minute on the machine falls on all of them rather than on whichever ran then: the ratios drift less than the
figures. The corpus is cycled, but every copy gets a distinct suffix, so no listing text repeats within a
pass or equals one of the corpus: word-level caches help (vocabulary repeats in real crawls), a cache of whole
listings could not (the engine has none; its caches hold words, sellers and short fields). Each engine's
first pass over the plain corpus, right after loading, is shown too ("cold"). The baseline uses RapidFuzz as
documented (``process.extract`` with ``score_cutoff``), not a Python loop that throws the cutoff away.
Generated brands are letters only, like real ones, so they reach the fuzzy index as well as the automaton.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

import rules  # noqa: E402
from rules.loader import load_sets  # noqa: E402
from rules.native import in_use  # noqa: E402
from rules.watchlist import HEADER  # noqa: E402

FIXTURES = ROOT.parent / "shared" / "fixtures"
_REPEAT = 5  # passes per measured figure, taking turns, the best kept (the cold first passes are single)
_SYLLABLES = "ba be bi bo bu ca co cu da de di do ga go ha ho ka ki ko la le li lo ma mi mo na ne no pa pe po ra ri ro"


def _name(rng: random.Random, parts: int) -> str:
    syllables = _SYLLABLES.split()
    return "".join(rng.choice(syllables) for _ in range(parts)).capitalize()


def _letters(number: int) -> str:
    """A unique letters-only tag for ``number`` (``0`` → ``ba``): brand names carry no digits."""
    syllables = _SYLLABLES.split()
    out = ""
    while True:
        number, digit = divmod(number, len(syllables))
        out += syllables[digit]
        if not number:
            return out


def _phone(rng: random.Random) -> str:
    return f"{rng.choice(['090', '091', '093', '094', '096', '097', '098'])}{rng.randrange(10**6, 10**7)}"


def _watchlist(path: Path, size: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(size):
            writer.writerow(["GEN", f"GEN-{i:05d}", rng.choice(["shopee", "lazada", "web"]), str(10**9 + i),
                             f"Shop {_name(rng, 3)} {_name(rng, 2)}", _phone(rng),
                             str(rng.randrange(10**9, 10**10)), f"{_name(rng, 3).lower()}{i}.vn", "bench", "bench"])


def _brands(path: Path, count: int, rng: random.Random) -> None:
    lines = ["set: generated_brands", "brands:"]
    for i in range(count):
        name = f"{_name(rng, 2)}{_letters(i)}"
        aliases = ", ".join(f"{_name(rng, 2)}{_letters(i + count * k)}" for k in (1, 2))
        lines.append(f"  - {{name: {name}, group: gen, premium: true, aliases: [{aliases}], "
                     f"misspellings: [{name}x], floors: {{default: 1000000}}}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _seconds(func: Callable[[dict], object], listings: list[dict]) -> float:
    start = time.process_time()
    for listing in listings:
        func(listing)
    return time.process_time() - start


def _rates(runs: list[tuple[Callable[[dict], object], list[dict]]], repeat: int = 1) -> list[float]:
    """Listings per CPU second of each ``(func, listings)``, the best of ``repeat`` passes each, the passes
    taking turns: a neighbour or the hypervisor can only slow a pass down, never speed it up (timeit's
    reasoning), and taking turns spreads a slow spell over every figure."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for index, (func, listings) in enumerate(runs):
            best[index] = min(best[index], _seconds(func, listings))
    return [len(listings) / seconds for (_, listings), seconds in zip(runs, best, strict=True)]


def _baseline(aliases: list[str]) -> Callable[[dict], object]:
    def naive(listing: dict) -> list[str]:
        text = f"{listing.get('title') or ''} {listing.get('description') or ''}".lower()
        found = process.extract(text, aliases, scorer=fuzz.partial_ratio, score_cutoff=90, limit=None)
        return [alias for alias, _, _ in found]

    return naive


def _loop_baseline(aliases: list[str]) -> Callable[[dict], object]:
    """The issue's words taken literally: ``partial_ratio`` of every alias, one call each (with the cut-off)."""
    def loop(listing: dict) -> list[str]:
        text = f"{listing.get('title') or ''} {listing.get('description') or ''}".lower()
        return [alias for alias in aliases if fuzz.partial_ratio(alias, text, score_cutoff=90)]

    return loop


def _distinct(corpus: list[dict], n: int) -> list[dict]:
    """``n`` listings cycling ``corpus``; copy ``k`` of a listing ends its title and description with ``#k``."""
    out = []
    for i in range(n):
        copy, index = divmod(i, len(corpus))
        listing = dict(corpus[index])
        for key in ("title", "description"):
            listing[key] = f"{listing.get(key) or ''} #{copy}"
        out.append(listing)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=Path, default=FIXTURES / "listings_labeled.jsonl")
    parser.add_argument("--n", type=int, default=5000, help="listings to time (the corpus is cycled)")
    args = parser.parse_args()
    rng = random.Random(7)
    corpus = [json.loads(line) for line in args.listings.read_text(encoding="utf-8").splitlines()]
    for listing in corpus:
        listing.pop("label", None)
    listings = _distinct(corpus, args.n)
    with tempfile.TemporaryDirectory() as tmp:
        watch = Path(tmp) / "watch.csv"
        _watchlist(watch, 10_000, rng)
        engine = rules.load(watchlists=[watch])
        cold = _rates([(engine.assess, corpus)])[0]
        book = load_sets()
        aliases = sorted({a.lower() for b in book.brands for a in (*b.aliases, *b.strict)})
        sample = listings[:1000]
        gen_dir = Path(tmp) / "gen"
        gen_dir.mkdir()
        _brands(gen_dir / "brands.yaml", 9 * len(book.brands), rng)
        big = rules.load(extra_dirs=[gen_dir], watchlists=[watch])
        big_cold = _rates([(big.assess, corpus)])[0]
        rate, base, loop_base, big_rate = _rates([(engine.assess, listings), (_baseline(aliases), sample),
                                                  (_loop_baseline(aliases), sample[:300]), (big.assess, listings)],
                                                 _REPEAT)
    build = "compiled (mypyc: qltt rules build)" if in_use() else "Python (no build of this source, or QLTT_NATIVE=0)"
    print(f"rule sets: {len(book.rules)} rules, {len(book.brands)} brands ({len(aliases)} aliases); watchlist 10000")
    print(f"engine build:      {build}")
    print(f"engine:            {rate:10.0f} listings/s ({args.n} distinct listings, one core; cold first pass "
          f"{cold:.0f})")
    print(f"naive baseline:    {base:10.0f} listings/s (partial_ratio of every alias via process.extract, "
          f"score_cutoff 90; {len(sample)} listings)")
    print(f"speed-up:          {rate / base:10.1f}x (the figure we report)")
    print(f"loop baseline:     {loop_base:10.0f} listings/s (one partial_ratio call per alias; speed-up "
          f"{rate / loop_base:.1f}x)")
    print(f"engine, 10x brands:{big_rate:10.0f} listings/s ({10 * len(book.brands)} brands; its first pass "
          f"{big_cold:.0f})")
    print(f"slow-down at 10x:  {rate / big_rate:10.2f}x")


if __name__ == "__main__":
    main()
