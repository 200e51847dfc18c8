"""The rule engine: compiled once, then ``match``/``assess`` listings with explained findings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rules.compile import Compiled, compile_book
from rules.context import Context, build_context
from rules.evaluate import phrase_findings
from rules.loader import load_sets
from rules.model import CATEGORIES, Assessment, Finding, assessment_of, finding_of, listing_of, span_of
from rules.normalize import longest_number
from rules.pricing import brand_findings
from rules.risk import risk
from rules.watchlist import ROUTE_LABELS, WATCHLISTS_DIR, Watchlist, read_watchlist
from rules.website import website_findings

__all__ = ["Engine", "load"]

_ORDER = {name: i for i, name in enumerate(CATEGORIES)}


class Engine:
    """Thread-safe after construction: matching does no I/O and only fills bounded caches of per-word
    verdicts (listings share their vocabulary)."""

    def __init__(self, compiled: Compiled, watchlist: Watchlist) -> None:
        self.compiled = compiled
        self.watchlist = watchlist

    def match(self, listing: Mapping[str, Any]) -> list[Finding]:
        """Every finding on ``listing`` (a dict in the listings schema; missing keys are tolerated)."""
        return self._evaluate(listing_of(listing))[1]

    def assess(self, listing: Mapping[str, Any]) -> Assessment:
        """The verdict: flag, categories in canonical order, canonical brand, risk and findings."""
        ctx, findings = self._evaluate(listing_of(listing))
        present = {f.category for f in findings}
        categories = [category for category in CATEGORIES if category in present]
        official = bool(findings) and ctx.official  # only asked when it moves the risk
        return assessment_of(findings, categories, ctx.brand, risk(findings, official))

    def _evaluate(self, listing: dict[str, Any]) -> tuple[Context, list[Finding]]:
        ctx = build_context(self.compiled, listing)
        findings = phrase_findings(self.compiled, ctx)
        admitted = any(f.category == "counterfeit" for f in findings)
        findings += brand_findings(self.compiled, ctx, admitted)
        findings += self._watch(listing, longest_number([ctx.fields["title"], ctx.fields["description"]]))
        findings += website_findings(self.compiled.checks.get("website_compliance"), listing)
        if len(findings) > 1:
            findings.sort(key=lambda f: (_ORDER[f.category], -f.score))
        return ctx, findings

    def _watch(self, listing: dict[str, Any], digits: int) -> list[Finding]:
        rule = self.compiled.checks.get("watchlist")
        if rule is None:
            return []
        out = []
        for hit in self.watchlist.match(listing, digits):
            entry = hit.entry
            description = (f"{rule.description} Danh sách {entry.list_id}, mục {entry.entry_id} "
                           f"(khớp theo {ROUTE_LABELS[hit.route]}): {entry.reason}.")
            basis = f"{rule.legal_basis}; {entry.basis}" if entry.basis else rule.legal_basis
            span = span_of(f"seller.{hit.route}", hit.value, hit.value, 0, len(hit.value))
            out.append(finding_of(rule, description, (span,), basis))
        return out


def _watchlist(paths: Iterable[Path], generic: Sequence[str]) -> Watchlist:
    watchlist = Watchlist(generic=frozenset(word for phrase in generic for word in phrase.split()))
    shipped = sorted(WATCHLISTS_DIR.glob("*.csv")) if WATCHLISTS_DIR.is_dir() else []
    for path in (*shipped, *paths):
        path = Path(path)
        for file in sorted(path.glob("*.csv")) if path.is_dir() else [path]:
            watchlist.add(read_watchlist(file), str(file))
    return watchlist


def load(extra_dirs: Sequence[Path] = (), watchlists: Sequence[Path] = ()) -> Engine:
    """An engine over the shipped rule sets and watchlists plus ``extra_dirs`` and ``watchlists``."""
    book = load_sets(extra_dirs)
    compiled = compile_book(book)
    return Engine(compiled, _watchlist(watchlists, book.lexicon.get("generic_shop_words", ())))
